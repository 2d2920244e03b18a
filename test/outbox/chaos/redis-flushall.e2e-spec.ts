import { setTimeout as delay } from 'node:timers/promises';
import { DataSource } from 'typeorm';
import { OutboxWriter, ScheduledTasks } from '../../../src/outbox/index.js';
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
import { startTestApp, type TestApp } from '../../support/test-app.js';

const RECORDER = recorderSubscription.name;
const TRANSACTIONS = 20;
const EVENTS_PER_TRANSACTION = 50;
const TOTAL = TRANSACTIONS * EVENTS_PER_TRANSACTION;

describe('chaos: Redis loses every key (FLUSHALL) in the middle of a flow', () => {
  let redis: PrivateRedis;
  let t: TestApp;
  let dataSource: DataSource;

  beforeAll(async () => {
    faults.recorder.reset();
    // FLUSHALL on the shared Redis would wipe every other suite's queues: this one gets its own.
    redis = await startPrivateRedis();
    t = await startTestApp({
      ...outboxTestSetup([recorderSubscription]),
      env: {
        REDIS_URL: redis.url,
        OUTBOX_SWEEP_AFTER_MS: '500',
        OUTBOX_SWEEP_INTERVAL_MS: '500',
        OUTBOX_RELAY_POLL_INTERVAL_MS: '100',
        LANE_CONCURRENCY_CRITICAL: '4',
      },
    });
    dataSource = t.app.get(DataSource);
    await createEffectTable(dataSource);
  });
  afterAll(async () => {
    faults.recorder.reset();
    await t?.close();
    await redis?.kill();
  });

  const countStates = async () => {
    const rows: Array<{ state: string; n: number }> = await dataSource.query(
      `SELECT state, count(*)::int AS n FROM outbox_delivery GROUP BY state`,
    );
    return Object.fromEntries(rows.map((r) => [r.state, r.n])) as Record<string, number | undefined>;
  };

  it(`handles all ${TOTAL} events exactly once although every Redis key vanished midway`, async () => {
    // Slow enough handling that work is still queued in Redis when it is flushed.
    faults.recorder.delayMs = 5;
    const writer = t.app.get(OutboxWriter);
    // The sweep's job scheduler lives on the scheduled-tasks queue (registered by Maintenance).
    const scheduled = t.app.get(ScheduledTasks);
    await eventually(async () =>
      expect((await scheduled.queue.getJobSchedulers()).map((s) => s.key)).toContain('outbox-sweep'),
    );

    const appended: string[] = [];
    let flushedAt: { handled: number; open: number } | undefined;
    for (let tx = 0; tx < TRANSACTIONS; tx++) {
      if (tx === TRANSACTIONS / 2) {
        // Midway: wait until some deliveries are handled and some still sit in Redis, then flush.
        await eventually(async () => {
          const states = await countStates();
          expect(states.handled ?? 0).toBeGreaterThan(0);
          expect(states.enqueued ?? 0).toBeGreaterThan(0);
        });
        expect(await redis.command('FLUSHALL')).toBe('OK');
        const states = await countStates();
        flushedAt = { handled: states.handled ?? 0, open: (states.enqueued ?? 0) + (states.pending ?? 0) };
      }
      const events = await appendThings(dataSource, writer, EVENTS_PER_TRANSACTION, {
        aggregateId: `flush-${tx}`,
        startN: tx * EVENTS_PER_TRANSACTION,
      });
      appended.push(...events.map((e) => e.id));
      await delay(20); // pacing of the flow, not a wait for an effect
    }
    expect(appended).toHaveLength(TOTAL);

    await eventually(
      async () => {
        const states = await countStates();
        expect(states).toEqual({ handled: TOTAL });
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    process.stdout.write(`[redis-flushall] at FLUSHALL: ${JSON.stringify(flushedAt)}\n`);

    expect(await effectCounts(dataSource, RECORDER)).toEqual({ rows: TOTAL, distinct: TOTAL });
    const [{ n: ofAppended }] = await dataSource.query(
      `SELECT count(DISTINCT event_id)::int AS n FROM test_effect WHERE event_id = ANY($1::uuid[])`,
      [appended],
    );
    expect(ofAppended).toBe(TOTAL);
    const [{ n: left }] = await dataSource.query(`SELECT count(*)::int AS n FROM outbox_message`);
    expect(left).toBe(0);
    // What Redis lost was re-driven from the ledger: the scenario really happened.
    const [{ redriven }] = await dataSource.query(
      `SELECT count(*)::int AS redriven FROM outbox_delivery WHERE redrive_count > 0`,
    );
    process.stdout.write(`[redis-flushall] deliveries re-driven: ${redriven}\n`);
    expect(redriven).toBeGreaterThan(0);
    expect(flushedAt!.open).toBeGreaterThan(0);
    // The sweeper's schedule came back by itself.
    await eventually(async () =>
      expect((await scheduled.queue.getJobSchedulers()).map((s) => s.key)).toEqual(
        expect.arrayContaining(['outbox-sweep', 'outbox-retention']),
      ),
    );
  });
});
