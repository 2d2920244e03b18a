export { mountBullBoard } from './bull-board.js';
export { OutboxAdminModule } from './outbox-admin.module.js';
