import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import { ThrottlerModule } from '@nestjs/throttler';
import { APP_CONFIG, type AppConfig } from '../../config/index.js';
import { RedisConnections } from '../../outbox/index.js';

/** Rate limits per principal (or IP), counted in Redis so every instance shares them. */
export const throttlingModule = ThrottlerModule.forRootAsync({
  inject: [APP_CONFIG, RedisConnections],
  useFactory: (config: AppConfig, redis: RedisConnections) => ({
    throttlers: [{ name: 'default', ttl: 60_000, limit: config.rateLimitPerMinute }],
    storage: new ThrottlerStorageRedisService(redis.prefixedProducer('throttle')),
  }),
});
