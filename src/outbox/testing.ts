/**
 * The outbox's door for tests and benchmarks: the internals they drive or inspect directly (a relay
 * of their own, the lane queues, the sweeper, the hot statements), and the options and ports as the
 * running app resolved them. Never imported by `src/` outside the outbox (a dependency-cruiser rule).
 */
export type { Envelope } from './catalogue/event-contract.js';
export { DeliveryProcessor, RECORD_HANDLED, RECORD_HANDLED_ONE } from './delivery/delivery-processor.js';
export { deliveryJobId, LaneQueues } from './delivery/lane-queues.js';
export type { DeliveryJobData, DeliveryToEnqueue } from './delivery/lane-queues.js';
export { Retention } from './maintenance/retention.js';
export { MAINTENANCE_QUEUE } from './maintenance/scheduled-tasks.js';
export { Sweeper } from './maintenance/sweeper.js';
export { OutboxMetrics } from './metrics/outbox-metrics.js';
export { OUTBOX_OPTIONS } from './outbox-options.js';
export type { OutboxOptions } from './outbox-options.js';
export { OUTBOX_PORTS } from './ports.js';
export type { OutboxPorts } from './ports.js';
export { Relay, toEnvelope } from './relay/relay.js';
export type { ClaimedRow } from './relay/relay.js';
export { usePreparedStatements } from './sql/prepared.js';
export { APPEND, APPEND_ONE } from './writer/outbox-writer.js';
