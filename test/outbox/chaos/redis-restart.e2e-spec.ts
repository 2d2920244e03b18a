import { DataSource } from 'typeorm';
import { OutboxWriter } from '../../../src/outbox/index.js';
import { eventually } from '../../support/eventually.js';
import {
  appendThings,
  createEffectTable,
  effectCounts,
  faults,
  outboxTestSetup,
  recorderSubscription,
} from '../../support/outbox-fixtures.js';
import { type PrivateRedis, startPrivateRedis } from '../../support/private-redis.js';
import { useTestApp } from '../../support/scenario.js';
import { redisSuite } from '../../support/suite-backends.js';
import { REDIS_SERVER } from '../../support/tools.js';

/** About Redis itself: runs on Redis whatever TEST_QUEUE_BACKEND says (test/support/suite-backends.ts). */
const describeOnRedis = await redisSuite(import.meta.url, REDIS_SERVER);

const RECORDER = recorderSubscription.name;

describeOnRedis('chaos: Redis restarts empty under a running app', () => {
  let redis: PrivateRedis;
  let dataSource: DataSource;
  let writer: OutboxWriter;

  beforeAll(async () => {
    faults.recorder.reset();
    redis = await startPrivateRedis();
  });
  // The app runs on the Redis started above, and closes before that Redis is killed.
  const t = useTestApp(() => ({
    ...outboxTestSetup([recorderSubscription]),
    env: {
      REDIS_URL: redis.url,
      OUTBOX_SWEEP_AFTER_MS: '500',
      OUTBOX_SWEEP_INTERVAL_MS: '500',
      OUTBOX_RELAY_POLL_INTERVAL_MS: '100',
    },
  }));
  afterAll(async () => {
    faults.recorder.reset();
    await redis?.kill();
  });
  beforeAll(async () => {
    dataSource = t.app.get(DataSource);
    writer = t.app.get(OutboxWriter);
    await createEffectTable(dataSource);
  });

  const handledOf = async (ids: string[]) =>
    (
      await dataSource.query(
        `SELECT count(*)::int AS n FROM outbox_delivery WHERE state = 'handled' AND event_id = ANY($1::uuid[])`,
        [ids],
      )
    )[0].n as number;

  it('keeps delivering after Redis was killed and restarted empty, without an app restart', async () => {
    const before = (await appendThings(dataSource, writer, 100, { aggregateId: 'before-restart' })).map((e) => e.id);
    await eventually(async () => expect(await handledOf(before)).toBe(100));

    // Some work is in flight when Redis dies: slow handlers keep some jobs active and the rest waiting.
    faults.recorder.calls = 0;
    faults.recorder.delayMs = 200;
    const inFlight = (await appendThings(dataSource, writer, 50, { aggregateId: 'in-flight', startN: 100 })).map(
      (e) => e.id,
    );
    await eventually(async () => expect(faults.recorder.calls).toBeGreaterThan(0), { intervalMs: 10 });
    await redis.kill();
    // Handlers that had not started yet had their jobs only in Redis: they are lost with it.
    const startedBeforeKill = faults.recorder.calls;
    expect(startedBeforeKill).toBeLessThan(inFlight.length);

    // While Redis is down, appends still commit: the events wait in Postgres.
    const duringOutage = (
      await appendThings(dataSource, writer, 50, { aggregateId: 'during-outage', startN: 150 })
    ).map((e) => e.id);
    await redis.start(); // same port, nothing kept
    faults.recorder.delayMs = 0;

    const after = (await appendThings(dataSource, writer, 100, { aggregateId: 'after-restart', startN: 200 })).map(
      (e) => e.id,
    );
    const all = [...before, ...inFlight, ...duringOutage, ...after];
    await eventually(async () => expect(await handledOf(all)).toBe(all.length), { timeoutMs: 30_000, intervalMs: 200 });

    expect(await effectCounts(dataSource, RECORDER)).toEqual({ rows: all.length, distinct: all.length });
    const [{ n: left }] = await dataSource.query(`SELECT count(*)::int AS n FROM outbox_message`);
    expect(left).toBe(0);
    const states = await dataSource.query(`SELECT state, count(*)::int AS n FROM outbox_delivery GROUP BY state`);
    expect(states).toEqual([{ state: 'handled', n: all.length }]);
    // What the restart lost was re-driven from the ledger.
    const [{ n: redriven }] = await dataSource.query(
      `SELECT count(*)::int AS n FROM outbox_delivery WHERE redrive_count > 0`,
    );
    process.stdout.write(
      `[redis-restart] ${startedBeforeKill}/${inFlight.length} in-flight handlers had started at the kill; re-driven: ${redriven}\n`,
    );
    expect(redriven).toBeGreaterThan(0);

    // And the workers are live again, not merely drained by re-drives: a fresh event is handled promptly.
    const fresh = (await appendThings(dataSource, writer, 10, { aggregateId: 'fresh', startN: 300 })).map((e) => e.id);
    await eventually(async () => expect(await handledOf(fresh)).toBe(10), { timeoutMs: 10_000 });
    expect(await effectCounts(dataSource, RECORDER)).toEqual({ rows: all.length + 10, distinct: all.length + 10 });
  });
});
