import { RedisConnections, resolveOutboxOptions } from '../../../src/outbox/host.js';
import { type PrivateRedis, startPrivateRedis } from '../../support/private-redis.js';
import { redisSuite } from '../../support/suite-backends.js';
import { REDIS_SERVER } from '../../support/tools.js';

/** About Redis itself: runs on Redis whatever TEST_QUEUE_BACKEND says (test/support/suite-backends.ts). */
const describeOnRedis = await redisSuite(import.meta.url, REDIS_SERVER);

/**
 * A producer command sent to a Redis that stopped answering must fail, not wait forever: the sweeper
 * calls Redis while it holds row locks on deliveries, and the relay and the scheduled tasks await
 * their calls (src/outbox/redis/redis-connections.ts, PRODUCER_COMMAND_TIMEOUT_MS).
 */
describeOnRedis('a producer connection to a frozen Redis', () => {
  let redis: PrivateRedis;
  let connections: RedisConnections;

  beforeAll(async () => {
    redis = await startPrivateRedis();
    connections = new RedisConnections(
      resolveOutboxOptions({ databaseUrl: 'postgres://unused', queueBackend: 'redis', redisUrl: redis.url }),
    );
    await connections.onModuleInit();
  });
  afterAll(async () => {
    redis?.thaw();
    await connections?.onApplicationShutdown();
    await redis?.kill();
  });

  it('fails a command with a timeout while the server is frozen, and works again once it is thawed', async () => {
    const producer = connections.producer();
    expect(await producer.ping()).toBe('PONG');
    redis.freeze();
    const started = Date.now();
    try {
      await expect(producer.ping()).rejects.toThrow('Command timed out');
    } finally {
      redis.thaw();
    }
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThanOrEqual(9_000);
    expect(waited).toBeLessThan(30_000);
    expect(await producer.ping()).toBe('PONG');
  }, 60_000);
});
