import { Redis } from 'ioredis';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { eventually } from '../../support/eventually.js';
import { faults } from '../../support/outbox-fixtures.js';
import {
  type PrivateRedisSentinel,
  SENTINEL_MASTER_NAME,
  startPrivateRedisSentinel,
} from '../../support/private-redis-sentinel.js';
import {
  expectEachHandledOnce,
  expectSweepSchedules,
  flowWithFault,
  postUnsignedWebhook,
  startRedisLossApp,
} from '../../support/redis-loss-flow.js';
import { useApp } from '../../support/scenario.js';
import { redisSuite } from '../../support/suite-backends.js';
import { REDIS_SERVER } from '../../support/tools.js';

/** About Redis itself: runs on Redis whatever TEST_QUEUE_BACKEND says (test/support/suite-backends.ts). */
const describeOnRedis = await redisSuite(import.meta.url, REDIS_SERVER);

const TRANSACTIONS = 30;
const EVENTS_PER_TRANSACTION = 50;
const TOTAL = TRANSACTIONS * EVENTS_PER_TRANSACTION;

describeOnRedis('chaos: Redis Sentinel fails the master over to its replica in the middle of a flow', () => {
  let redis: PrivateRedisSentinel;
  let dataSource: DataSource;

  beforeAll(async () => {
    // 1 master, 1 replica, 3 sentinels of this suite's own: the machine's Redis is never touched.
    redis = await startPrivateRedisSentinel();
  });
  // The app runs on the servers started above and closes first (hooks run in declaration order).
  const t = useApp(async () => {
    const started = await startRedisLossApp({
      REDIS_SENTINELS: redis.sentinels,
      REDIS_SENTINEL_NAME: SENTINEL_MASTER_NAME,
    });
    dataSource = started.dataSource;
    return started.t;
  });
  // Private servers go whatever became of the app (an afterAll runs after a failed one): none is
  // left running after a failure.
  afterAll(async () => {
    faults.recorder.reset();
    await redis?.stop();
  });

  const readyRedis = async () => (await request(t.url).get('/health/ready')).body.details.redis;

  it('reports the master the sentinels named', async () => {
    expect(await readyRedis()).toMatchObject({
      status: 'up',
      topology: 'sentinel',
      master: `127.0.0.1:${redis.masterPort}`,
    });
  });

  it('counts rate limits on the master', async () => {
    await postUnsignedWebhook(t);
    const master = new Redis({ host: '127.0.0.1', port: redis.masterPort });
    try {
      expect(await master.keys(`${t.config.queuePrefix}:throttle:*`)).toContain(
        `${t.config.queuePrefix}:throttle:{ip-127.0.0.1:webhook}:hits`,
      );
    } finally {
      master.disconnect();
    }
  });

  it(`handles all ${TOTAL} events exactly once although the master died and its replica took over`, async () => {
    let killedAtMs = 0;
    let failedOver: Promise<number> | undefined;
    // A third in, the master is SIGKILLed; the flow goes on through the failover (accepting depends
    // on PostgreSQL alone).
    const { appended, atFault } = await flowWithFault(t, {
      transactions: TRANSACTIONS,
      eventsPerTransaction: EVENTS_PER_TRANSACTION,
      aggregate: 'failover',
      faultAt: TRANSACTIONS / 3,
      fault: async () => {
        await redis.kill(redis.masterPort);
        killedAtMs = Date.now();
        // Watched beside the flow: how long until the sentinels name the replica.
        failedOver = eventually(
          async () => {
            expect(await redis.master()).toBe(`127.0.0.1:${redis.replicaPort}`);
            return Date.now() - killedAtMs;
          },
          { timeoutMs: 30_000, intervalMs: 50 },
        );
        // Awaited after the flow; until then a rejection must not count as unhandled.
        failedOver.catch(() => undefined);
      },
    });
    const failedOverAfterMs = await failedOver!;

    const redriven = await expectEachHandledOnce(dataSource, appended, { timeoutMs: 60_000 });
    process.stdout.write(
      `[redis-sentinel-failover] at the kill: ${JSON.stringify(atFault)}; sentinels named the replica ` +
        `${failedOverAfterMs} ms after; all handled ${Date.now() - killedAtMs} ms after; ` +
        `deliveries re-driven: ${redriven}\n`,
    );
    expect(atFault.open).toBeGreaterThan(0);
    // Every connection followed the sentinels to the new master; readiness says which it is.
    await eventually(async () =>
      expect(await readyRedis()).toMatchObject({
        status: 'up',
        topology: 'sentinel',
        master: `127.0.0.1:${redis.replicaPort}`,
      }),
    );
    // The sweeper's schedule lives on (or came back) on the new master.
    await expectSweepSchedules(t);
  });
});
