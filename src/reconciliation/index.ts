/**
 * Reconciliation's public API. Modules implement {@link Reconciler} on a provider and mark it with
 * `@Reconciler()`; the app imports {@link ReconciliationModule} once. Nothing else here is for modules.
 */
export { Reconciler } from './reconciler.js';
export type { Finding, ReconciliationWindow } from './reconciler.js';
export { ReconciliationModule } from './reconciliation.module.js';
