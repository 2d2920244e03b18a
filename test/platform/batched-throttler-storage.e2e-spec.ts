import { randomBytes } from 'node:crypto';
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import { Redis } from 'ioredis';
import { BatchedRedisThrottlerStorage } from '../../src/platform/throttling/batched-redis-throttler-storage.js';
import { eventually } from '../support/eventually.js';
import { TEST_REDIS_URL } from '../support/test-env.js';
import { redisSuite } from '../support/suite-backends.js';

/** About Redis itself: runs on Redis whatever TEST_QUEUE_BACKEND says (test/support/suite-backends.ts). */
const describeOnRedis = await redisSuite(import.meta.url);

/** Counts the script calls a storage makes, while they still go to Redis. */
function countCalls(redis: Redis): () => number {
  const counting = redis as Redis & { debtsHubCountHits(...args: unknown[]): Promise<unknown> };
  const original = counting.debtsHubCountHits.bind(counting);
  let calls = 0;
  counting.debtsHubCountHits = (...args: unknown[]) => {
    calls++;
    return original(...args);
  };
  return () => calls;
}

describeOnRedis('BatchedRedisThrottlerStorage against Redis', () => {
  const prefix = `test-throttle-${randomBytes(4).toString('hex')}`;
  let batchedRedis: Redis;
  let referenceRedis: Redis;
  let batched: BatchedRedisThrottlerStorage;
  let reference: ThrottlerStorageRedisService;

  beforeAll(() => {
    batchedRedis = new Redis(TEST_REDIS_URL, { keyPrefix: `${prefix}:batched:` });
    referenceRedis = new Redis(TEST_REDIS_URL, { keyPrefix: `${prefix}:reference:` });
    batched = new BatchedRedisThrottlerStorage(batchedRedis);
    reference = new ThrottlerStorageRedisService(referenceRedis);
  });
  afterAll(async () => {
    const keys = await batchedRedis.keys(`${prefix}:*`);
    // KEYS answers full names; the connection would prefix them again, so delete without one.
    const plain = new Redis(TEST_REDIS_URL);
    if (keys.length > 0) await plain.del(...keys);
    await Promise.all([plain.quit(), batchedRedis.quit(), referenceRedis.quit()]);
  });

  it('answers every hit as @nest-lab/throttler-storage-redis does: counts, the block, its expiry', async () => {
    // Sequential hits on two keys and two budgets, past the limit, then after the block and window lapse.
    const plan: Array<[key: string, throttler: string]> = [];
    for (let i = 0; i < 5; i++) plan.push(['alice', 'default'], ['bob', 'default'], ['alice', 'webhook']);
    const run = async (storage: { increment: BatchedRedisThrottlerStorage['increment'] }, redis: Redis) => {
      const answers = [];
      for (const [key, throttler] of plan) answers.push(await storage.increment(key, 400, 3, 200, throttler));
      // Until Redis has expired alice's window (400 ms) and block (200 ms); both stores name them alike.
      await eventually(async () =>
        expect(await redis.exists('{alice:default}:hits', '{alice:default}:blocked')).toBe(0),
      );
      answers.push(await storage.increment('alice', 400, 3, 200, 'default'));
      return answers;
    };
    const [ours, theirs] = await Promise.all([run(batched, batchedRedis), run(reference, referenceRedis)]);
    expect(ours).toEqual(theirs);
    expect(ours.map((answer) => answer.totalHits).slice(0, 12)).toEqual([1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4]);
    expect(ours.slice(9, 12).every((answer) => answer.isBlocked && answer.timeToBlockExpire > 0)).toBe(true);
    expect(ours[ours.length - 1]).toMatchObject({ totalHits: 1, isBlocked: false });
  });

  it('sends the hits of one turn of the event loop in one call, each counted once and in order', async () => {
    const calls = countCalls(batchedRedis);
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        batched.increment(i % 2 === 0 ? 'carol' : 'dave', 60_000, 15, 60_000, 'default'),
      ),
    );
    expect(calls()).toBe(1);
    const carol = answers.filter((_, i) => i % 2 === 0);
    expect(carol.map((answer) => answer.totalHits)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(carol.map((answer) => answer.isBlocked)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1 > 15));
    expect(Number(await batchedRedis.get('{dave:default}:hits'))).toBe(20);
  });

  it('splits a very large turn into bounded calls and still counts every hit', async () => {
    const calls = countCalls(batchedRedis);
    const answers = await Promise.all(
      Array.from({ length: 600 }, () => batched.increment('erin', 60_000, 10_000, 60_000, 'default')),
    );
    expect(calls()).toBe(3);
    expect(answers.map((answer) => answer.totalHits).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 600 }, (_, i) => i + 1),
    );
  });

  it('fails every hit of a call when Redis cannot be reached, so the failover storage can count them', async () => {
    const unreachable = new Redis('redis://127.0.0.1:1', {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    unreachable.on('error', () => undefined);
    const storage = new BatchedRedisThrottlerStorage(unreachable);
    const results = await Promise.allSettled([
      storage.increment('frank', 60_000, 5, 60_000, 'default'),
      storage.increment('gina', 60_000, 5, 60_000, 'default'),
    ]);
    expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected']);
    unreachable.disconnect();
  });
});
