/**
 * The outbox's door for the composition root: the module and its options, the ports the host
 * binds, the services its admin HTTP adapter serves (`src/outbox-admin/`: dead letters, journeys,
 * the queues Bull Board shows) and the generated docs. Modules use `index.ts`; tests `testing.ts`.
 */
export { MessageJourneys } from './admin/message-journeys.js';
export type { CausedEvent, JourneyDelivery, MessageJourney } from './admin/message-journeys.js';
export { EventCatalogue } from './catalogue/event-catalogue.js';
export { renderEventsDoc } from './catalogue/events-doc.js';
export { renderModulesDoc } from './catalogue/modules-doc.js';
export type { Envelope } from './catalogue/event-contract.js';
export { BULK_REPLAY_DEFAULT_LIMIT, BULK_REPLAY_MAX_LIMIT, DeadLetters } from './dead-letters/dead-letters.service.js';
export type { DeadLetter, DeadLetterReason, DeadLetterReplay } from './dead-letters/dead-letters.service.js';
export { LaneQueues } from './delivery/lane-queues.js';
export { ScheduledTasks } from './maintenance/scheduled-tasks.js';
export { OutboxModule } from './outbox.module.js';
export type { OutboxModuleOptions } from './outbox.module.js';
export {
  OUTBOX_LIMITS,
  OUTBOX_QUEUE_BACKENDS,
  OUTBOX_ROLES,
  OutboxOptionsError,
  resolveOutboxOptions,
} from './outbox-options.js';
export type {
  OutboxOptions,
  OutboxOptionsInput,
  OutboxQueueBackend,
  OutboxRedisNode,
  OutboxRole,
  OutboxTuning,
} from './outbox-options.js';
export type {
  OutboxContextPort,
  OutboxCorrelation,
  OutboxGaugeReading,
  OutboxGaugeSpec,
  OutboxMetricsPort,
  OutboxPorts,
  OutboxPruner,
  OutboxTracingPort,
} from './ports.js';
export { QueueBackend, RedisConnections, RedisEvictionPolicyError } from './redis/redis-connections.js';
export type { RedisClient, RedisTopology, RedisTopologyReport } from './redis/redis-connections.js';
