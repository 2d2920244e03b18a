import { debtsManifest } from './modules/debts/index.js';
import { fulfilmentManifest } from './modules/fulfilment/index.js';
import { ledgerManifest } from './modules/ledger/index.js';
import { licencesManifest } from './modules/licences/index.js';
import { paymentsManifest } from './modules/payments/index.js';
import { EventCatalogue } from './outbox/host.js';

/**
 * The application's single event registry: the modules' manifests combined (each module declares what
 * it publishes and hears in its own `<module>.manifest.ts`). `docs/events.md` and `docs/modules.md`
 * are generated from it (`npm run docs:events`, `npm run docs:modules`).
 */
export const eventCatalogue = EventCatalogue.fromModules([
  debtsManifest,
  paymentsManifest,
  licencesManifest,
  fulfilmentManifest,
  ledgerManifest,
]);
