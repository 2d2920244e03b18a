/** The payments module's public surface: the only file other modules may import. */
export { PaymentsModule } from './payments.module.js';
