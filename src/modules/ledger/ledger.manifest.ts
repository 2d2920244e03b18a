import { defineModule } from '../../outbox/index.js';
import { EntriesPostedV1 } from './events/index.js';
import { ProjectCitizenBalancesListener } from './listeners/project-citizen-balances.listener.js';
import { ProjectCustomerBalancesListener } from './listeners/project-customer-balances.listener.js';

/** What the ledger module publishes and hears (docs/modules.md is generated from it). */
export const ledgerManifest = defineModule({
  name: 'ledger',
  summary:
    'The double-entry ledger: balanced, append-only postings in integer minor units, and the balance projections derived from it.',
  facade: ['LedgerApi', 'ProjectionRebuilder'],
  publishes: [EntriesPostedV1],
  listeners: [ProjectCitizenBalancesListener, ProjectCustomerBalancesListener],
});
