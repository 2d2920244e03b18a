/**
 * Pruning's public API: modules (and the platform's own stores) implement {@link Pruner} and mark
 * it with `@Pruner()`; the outbox's maintenance schedules every marked provider.
 */
export { PRUNER, Pruner } from './pruner.js';
