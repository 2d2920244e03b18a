/** The payments module's public surface: the only file other modules may import. */
export { Payables } from './application/payables.js';
export type { Payable, PayableResolver } from './application/payables.js';
export * from './events/index.js';
export { PaymentsModule } from './payments.module.js';
