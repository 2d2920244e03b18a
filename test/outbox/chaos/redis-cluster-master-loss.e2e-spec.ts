import { Redis } from 'ioredis';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { QueueBackend } from '../../../src/outbox/host.js';
import { eventually } from '../../support/eventually.js';
import { faults, recorderSubscription } from '../../support/outbox-fixtures.js';
import { type PrivateRedisCluster, startPrivateRedisCluster } from '../../support/private-redis-cluster.js';
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

const TRANSACTIONS = 20;
const EVENTS_PER_TRANSACTION = 50;
const TOTAL = TRANSACTIONS * EVENTS_PER_TRANSACTION;

describeOnRedis('chaos: a Redis Cluster master is killed and its keys are lost in the middle of a flow', () => {
  let cluster: PrivateRedisCluster;
  let dataSource: DataSource;

  beforeAll(async () => {
    // Killing a master of a cluster other suites use would break them: this one gets its own.
    cluster = await startPrivateRedisCluster();
  });
  // The app runs on the cluster started above and closes first (hooks run in declaration order).
  const t = useApp(async () => {
    const started = await startRedisLossApp({ REDIS_CLUSTER_NODES: cluster.nodes });
    dataSource = started.dataSource;
    return started.t;
  });
  // Private servers go whatever became of the app (an afterAll runs after a failed one): none is
  // left running after a failure.
  afterAll(async () => {
    faults.recorder.reset();
    await cluster?.stop();
  });

  it('puts each lane queue under a hash tag of its own and reports the cluster ready', async () => {
    const backend = t.app.get(QueueBackend);
    expect(['critical', 'default', 'bulk'].map((lane) => backend.prefixOf(lane))).toEqual([
      `{${t.config.queuePrefix}:critical}`,
      `{${t.config.queuePrefix}:default}`,
      `{${t.config.queuePrefix}:bulk}`,
    ]);
    const res = await request(t.url).get('/health/ready');
    expect(res.status).toBe(200);
    expect(res.body.details.redis).toMatchObject({
      status: 'up',
      topology: 'cluster',
      state: 'ok',
      slotsCovered: 16384,
      masters: 3,
    });
  });

  it('counts rate limits in the cluster, every counter of the app under one hash tag (one slot)', async () => {
    await postUnsignedWebhook(t);
    const tag = `{${t.config.queuePrefix}:throttle}`;
    const node = new Redis({ host: '127.0.0.1', port: await cluster.masterOf(tag) });
    try {
      expect(await node.keys(`${tag}:*`)).toContain(`${tag}:{ip-127.0.0.1:webhook}:hits`);
    } finally {
      node.disconnect();
    }
  });

  it(`handles all ${TOTAL} events exactly once although the master of their lane died with its keys`, async () => {
    const victim = await cluster.masterOf(t.app.get(QueueBackend).prefixOf(recorderSubscription.lane));
    // The master dies midway; two transactions are accepted while it is away (PostgreSQL alone),
    // then it comes back empty, with its slots.
    const { appended, atFault } = await flowWithFault(t, {
      transactions: TRANSACTIONS,
      eventsPerTransaction: EVENTS_PER_TRANSACTION,
      aggregate: 'cluster',
      faultAt: TRANSACTIONS / 2,
      fault: () => cluster.kill(victim),
      recoverAt: TRANSACTIONS / 2 + 2,
      recover: () => cluster.restart(victim),
    });
    process.stdout.write(`[redis-cluster-master-loss] at the kill: ${JSON.stringify(atFault)}\n`);

    const redriven = await expectEachHandledOnce(dataSource, appended, { timeoutMs: 60_000 });
    // What the dead master lost was re-driven from the ledger: the scenario really happened.
    process.stdout.write(`[redis-cluster-master-loss] deliveries re-driven: ${redriven}\n`);
    expect(redriven).toBeGreaterThan(0);
    expect(atFault.open).toBeGreaterThan(0);
    await expectSweepSchedules(t);
    // The readiness check sees every slot covered again.
    await eventually(async () => {
      const res = await request(t.url).get('/health/ready');
      expect(res.body.details.redis).toMatchObject({ status: 'up', slotsCovered: 16384 });
    });
  });
});
