export { OutboxModule } from './outbox.module.js';
export { RedisConnections, RedisEvictionPolicyError } from './redis/redis-connections.js';
