/**
 * The outbox's public API. Modules append events with {@link OutboxWriter} in their own
 * transaction, declare contracts with {@link defineEvent} and subscriptions with {@link subscribe},
 * and bind handlers with {@link HandlesEvents}; {@link afterCommit} defers what must only happen once a
 * handler's transaction has committed; areas above the outbox (reconciliation) hear of re-drives
 * through {@link RedriveObservers} and schedule work with {@link ScheduledTasks}. This is the door
 * for modules: the composition root uses `host.ts`, tests `testing.ts`.
 */
export { defineEvent, defineUpcaster, InvalidEventPayloadError, LANES } from './catalogue/event-contract.js';
export type { Envelope, EventContract, Lane, Upcaster } from './catalogue/event-contract.js';
export { defineModule } from './catalogue/module-manifest.js';
export type { ListenerClass, ModuleManifest, ModuleManifestInput } from './catalogue/module-manifest.js';
export { subscribe } from './catalogue/subscription.js';
export type { PayloadFilter, RetryPolicy, Subscription, SubscriptionOptions } from './catalogue/subscription.js';
export { AfterCommitTransactionRequiredError, afterCommit } from './delivery/after-commit.js';
export { HandlesEvents } from './catalogue/handles-events.js';
export type { EventHandler } from './delivery/handler-registry.js';
export { NonRetryableError } from './delivery/non-retryable.error.js';
export { RedriveObservers } from './maintenance/redrive-observers.js';
export type { RedriveObserver, RedrivenDelivery } from './maintenance/redrive-observers.js';
export { ScheduledTasks } from './maintenance/scheduled-tasks.js';
export type { ScheduledTask } from './maintenance/scheduled-tasks.js';
export { OutboxTransactionRequiredError, OutboxWriter } from './writer/outbox-writer.js';
export type { NewEvent } from './writer/outbox-writer.js';
