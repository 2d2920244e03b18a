/** The ledger module's public surface: the only file other modules may import. */
export { Accounts, LedgerApi } from './ledger.api.js';
export type { CitizenBalance, CustomerBalance } from './ledger.api.js';
export { EntriesPostedV1, EntriesPostedV1Payload } from './events/index.js';
export { BALANCE_PROJECTIONS, EntryKinds, projectionNamed } from './projections/balance-projections.js';
export {
  ProjectionRebuilder,
  RebuildInProgressError,
  standaloneRebuilder,
} from './projections/projection-rebuilder.js';
export type { RebuildProgress, RebuildView } from './projections/projection-rebuilder.js';
export { reversed, UnbalancedPostingError } from './domain/posting.js';
export type { Leg, Posting } from './domain/posting.js';
export { LedgerModule } from './ledger.module.js';
export { ledgerManifest } from './ledger.manifest.js';
