import { DataSource } from 'typeorm';
import { faults } from '../../support/outbox-fixtures.js';
import { type PrivateRedis, startPrivateRedis } from '../../support/private-redis.js';
import {
  expectEachHandledOnce,
  expectSweepSchedules,
  flowWithFault,
  startRedisLossApp,
} from '../../support/redis-loss-flow.js';
import { useApp } from '../../support/scenario.js';
import { redisSuite } from '../../support/suite-backends.js';
import { REDIS_SERVER } from '../../support/tools.js';

/** About Redis itself: runs on Redis whatever TEST_QUEUE_BACKEND says (test/support/suite-backends.ts). */
const describeOnRedis = await redisSuite(import.meta.url, REDIS_SERVER);

const TRANSACTIONS = 20;
const EVENTS_PER_TRANSACTION = 50;
const TOTAL = TRANSACTIONS * EVENTS_PER_TRANSACTION;

describeOnRedis('chaos: Redis loses every key (FLUSHALL) in the middle of a flow', () => {
  let redis: PrivateRedis;
  let dataSource: DataSource;

  beforeAll(async () => {
    // FLUSHALL on the shared Redis would wipe every other suite's queues: this one gets its own.
    redis = await startPrivateRedis();
  });
  // The app runs on the Redis started above, and closes before that Redis is killed.
  const t = useApp(async () => {
    const started = await startRedisLossApp({ REDIS_URL: redis.url });
    dataSource = started.dataSource;
    return started.t;
  });
  afterAll(async () => {
    faults.recorder.reset();
    await redis?.kill();
  });

  it(`handles all ${TOTAL} events exactly once although every Redis key vanished midway`, async () => {
    const { appended, atFault } = await flowWithFault(t, {
      transactions: TRANSACTIONS,
      eventsPerTransaction: EVENTS_PER_TRANSACTION,
      aggregate: 'flush',
      faultAt: TRANSACTIONS / 2,
      fault: async () => expect(await redis.command('FLUSHALL')).toBe('OK'),
    });
    process.stdout.write(`[redis-flushall] at FLUSHALL: ${JSON.stringify(atFault)}\n`);

    const redriven = await expectEachHandledOnce(dataSource, appended);
    // What Redis lost was re-driven from the ledger: the scenario really happened.
    process.stdout.write(`[redis-flushall] deliveries re-driven: ${redriven}\n`);
    expect(redriven).toBeGreaterThan(0);
    expect(atFault.open).toBeGreaterThan(0);
    // The sweeper's schedule came back by itself.
    await expectSweepSchedules(t);
  });
});
