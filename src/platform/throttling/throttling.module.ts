import { ThrottlerModule } from '@nestjs/throttler';
import { APP_CONFIG, type AppConfig } from '../../config/index.js';
import { RedisConnections } from '../../outbox/index.js';
import { BatchedRedisThrottlerStorage } from './batched-redis-throttler-storage.js';
import { FailoverThrottlerStorage } from './failover-throttler-storage.js';
import { PRINCIPAL_BUDGET, WEBHOOK_BUDGET } from './principal-throttler.guard.js';

/** A rate-limit count Redis has not answered within this long is kept in the process instead. */
const REDIS_TIMEOUT_MS = 250;
/** While counting locally, Redis is tried again this often. */
const REDIS_RETRY_AFTER_MS = 5000;

/**
 * Rate limits per principal (or client address), counted in Redis so every instance shares them,
 * and in the process while Redis is away (docs/adr/0020-redis-off-the-accepting-path.md).
 */
export const throttlingModule = ThrottlerModule.forRootAsync({
  inject: [APP_CONFIG, RedisConnections],
  useFactory: (config: AppConfig, redis: RedisConnections) => ({
    throttlers: [
      { name: PRINCIPAL_BUDGET, ttl: 60_000, limit: config.rateLimitPerMinute },
      { name: WEBHOOK_BUDGET, ttl: 60_000, limit: config.rateLimitWebhookPerMinute },
    ],
    storage: new FailoverThrottlerStorage(new BatchedRedisThrottlerStorage(redis.prefixedProducer('throttle')), {
      timeoutMs: REDIS_TIMEOUT_MS,
      retryAfterMs: REDIS_RETRY_AFTER_MS,
    }),
  }),
});
