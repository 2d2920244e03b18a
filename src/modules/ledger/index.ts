/** The ledger module's public surface: the only file other modules may import. */
export { Accounts, LedgerApi } from './ledger.api.js';
export { reversed, UnbalancedPostingError } from './domain/posting.js';
export type { Leg, Posting } from './domain/posting.js';
export { LedgerModule } from './ledger.module.js';
