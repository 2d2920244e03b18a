/** The debts module's public surface: the only file other modules may import. */
export { DebtsModule } from './debts.module.js';
