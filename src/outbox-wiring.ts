import type { AppConfig } from './config/index.js';
import type { OutboxOptionsInput, OutboxPorts } from './outbox/host.js';
import {
  addScrapeSource,
  contextFromTraceparent,
  counter,
  currentCorrelation,
  failed,
  histogram,
  inSpan,
  loggableError,
  PRUNER,
  runWithCorrelation,
  startSpan,
  traceparentOf,
  tracingEnabled,
  withTraceparent,
} from './platform/index.js';

/**
 * The composition root's side of the outbox's doors: its options taken from the app's validated
 * environment (`API.md`, "Configuration"), and its ports bound to the platform's context,
 * tracing, metrics, error logging and `@Pruner()` marker. The outbox imports none of these.
 */
export function outboxOptionsFrom(config: AppConfig): OutboxOptionsInput {
  return {
    ...config.outbox,
    roles: config.roles,
    queueBackend: config.queueBackend,
    queuePrefix: config.queuePrefix,
    databaseUrl: config.databaseUrl,
    databaseDirectUrl: config.databaseDirectUrl,
    dbPoolSize: config.dbPoolSize,
    dbPreparedStatements: config.dbPreparedStatements,
    redisUrl: config.redisUrl,
    redisClusterNodes: config.redisClusterNodes,
    redisSentinel: config.redisSentinel,
    redisAllowEviction: config.redisAllowEviction,
    shutdownTimeoutMs: config.shutdownTimeoutMs,
    pruning: { intervalMs: config.pruning.intervalMs, batchSize: config.pruning.batchSize },
  };
}

export const outboxPorts: Partial<OutboxPorts> = {
  context: { current: currentCorrelation, run: runWithCorrelation },
  tracing: {
    enabled: tracingEnabled,
    inSpan,
    startSpan,
    traceparentOf,
    contextFromTraceparent,
    withTraceparent,
    failed,
  },
  metrics: { counter, histogram, addScrapeSource },
  describeError: loggableError,
  prunerMarker: PRUNER,
};
