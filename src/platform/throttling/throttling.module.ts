import { ThrottlerModule } from '@nestjs/throttler';
import { APP_CONFIG, type AppConfig } from '../../config/index.js';
import { QUEUE_ENGINE, type QueueEngine } from '../engines/queue-engine.port.js';
import { BatchedRedisThrottlerStorage } from './batched-redis-throttler-storage.js';
import { FailoverThrottlerStorage, PerProcessThrottlerStorage } from './failover-throttler-storage.js';
import { PRINCIPAL_BUDGET, WEBHOOK_BUDGET } from './principal-throttler.guard.js';

/** A rate-limit count Redis has not answered within this long is kept in the process instead. */
const REDIS_TIMEOUT_MS = 250;
/** While counting locally, Redis is tried again this often. */
const REDIS_RETRY_AFTER_MS = 5000;

/**
 * Rate limits per principal (or client address), counted in Redis so every instance shares them,
 * and in the process while Redis is away (docs/adr/0020-redis-off-the-accepting-path.md). On the
 * PostgreSQL queue backend there is no Redis: each process counts its own, the same count Redis
 * outages already fall back to (docs/adr/0035-queue-backend-abstraction.md).
 */
export const throttlingModule = ThrottlerModule.forRootAsync({
  inject: [APP_CONFIG, QUEUE_ENGINE],
  useFactory: (config: AppConfig, queues: QueueEngine) => {
    const redis = queues.rateLimitRedis();
    return {
      throttlers: [
        { name: PRINCIPAL_BUDGET, ttl: 60_000, limit: config.rateLimitPerMinute },
        { name: WEBHOOK_BUDGET, ttl: 60_000, limit: config.rateLimitWebhookPerMinute },
      ],
      storage:
        redis === undefined
          ? new PerProcessThrottlerStorage()
          : new FailoverThrottlerStorage(new BatchedRedisThrottlerStorage(redis), {
              timeoutMs: REDIS_TIMEOUT_MS,
              retryAfterMs: REDIS_RETRY_AFTER_MS,
            }),
    };
  },
});
