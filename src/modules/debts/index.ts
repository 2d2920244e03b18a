/** The debts module's public surface: the only file other modules may import. */
export { DebtsModule } from './debts.module.js';
export { DebtsApi } from './debts.api.js';
export type { OutstandingDebt } from './debts.api.js';
export { CITIZEN_ID_PATTERN } from './domain/debt.js';
export * from './events/index.js';
export { debtsManifest } from './debts.manifest.js';
