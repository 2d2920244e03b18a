import type { Cluster, Redis } from 'ioredis';
import type { QueueBackendKind } from '../../config/index.js';

/**
 * What the platform needs from the engine the queues run on, declared here and implemented by the
 * outbox's `QueueBackend`; the composition root (src/app.module.ts) binds the two, so the platform
 * never imports the outbox (a dependency-cruiser rule keeps it so).
 */
export interface QueueEngine {
  readonly kind: QueueBackendKind;
  /** Readiness: answers (with the Redis topology on Redis) or throws. */
  ping(): Promise<Record<string, unknown> | undefined>;
  /** The Redis rate limits are counted in, shared by every process; undefined on the PostgreSQL backend. */
  rateLimitRedis(): Redis | Cluster | undefined;
}

/** The injection token of {@link QueueEngine}. */
export const QUEUE_ENGINE = Symbol('QUEUE_ENGINE');
