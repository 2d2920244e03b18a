import { DataSource } from 'typeorm';
import { LaneQueues, Relay, Sweeper } from '../../../src/outbox/testing.js';
import { OutboxWriter } from '../../../src/outbox/index.js';
import { eventually } from '../../support/eventually.js';
import {
  appendThings,
  createEffectTable,
  faults,
  outboxTestSetup,
  recorderSubscription,
} from '../../support/outbox-fixtures.js';
import { useTestApp } from '../../support/scenario.js';

const RECORDER = recorderSubscription.name;
const SWEEP_AFTER_MS = 200;

describe('chaos: a relay that dies between its steps', () => {
  let dataSource: DataSource;
  let writer: OutboxWriter;
  let relay: Relay;
  let queues: LaneQueues;
  let sweeper: Sweeper;

  beforeAll(() => faults.recorder.reset());
  afterAll(() => faults.recorder.reset());
  // No relay loop and no scheduler: the only relay is the one the test drives step by step, and
  // the sweeper runs only when the test calls it.
  const t = useTestApp({
    ...outboxTestSetup([recorderSubscription]),
    env: { APP_ROLES: 'api,worker', OUTBOX_SWEEP_AFTER_MS: String(SWEEP_AFTER_MS), LANE_CONCURRENCY_CRITICAL: '2' },
  });
  beforeAll(async () => {
    dataSource = t.app.get(DataSource);
    writer = t.app.get(OutboxWriter);
    relay = t.app.get(Relay);
    queues = t.app.get(LaneQueues);
    sweeper = t.app.get(Sweeper);
    await createEffectTable(dataSource);
  });
  afterEach(() => faults.recorder.reset());

  const effectsOf = async (ids: string[]) =>
    (
      await dataSource.query(
        `SELECT count(*)::int AS rows, count(DISTINCT event_id)::int AS distinct FROM test_effect
         WHERE subscriber = $1 AND event_id = ANY($2::uuid[])`,
        [RECORDER, ids],
      )
    )[0] as { rows: number; distinct: number };
  const ledgerOf = async (ids: string[]) =>
    (await dataSource.query(
      `SELECT state, count(*)::int AS n, min(redrive_count)::int AS min_redrives, max(redrive_count)::int AS max_redrives
       FROM outbox_delivery WHERE event_id = ANY($1::uuid[]) GROUP BY state ORDER BY state`,
      [ids],
    )) as Array<{ state: string; n: number; min_redrives: number; max_redrives: number }>;
  const outboxCount = async () => (await dataSource.query(`SELECT count(*)::int AS n FROM outbox_message`))[0].n;
  const liveJobs = async () =>
    (
      await Promise.all(queues.all().map((q) => q.getJobCountByTypes('waiting', 'active', 'delayed', 'prioritized')))
    ).reduce((a, b) => a + b, 0);

  it('killed after enqueue, before marking enqueued: the sweeper adds no duplicate', async () => {
    // Slow handling, so the deliveries are still unmarked and their jobs still live when the sweeper looks.
    faults.recorder.delayMs = 100;
    const events = await appendThings(dataSource, writer, 20, { aggregateId: 'died-before-mark' });
    const ids = events.map((e) => e.id);

    const { claimed, deliveries } = await relay.claim();
    expect(claimed).toBe(20);
    expect(deliveries).toHaveLength(20);
    await queues.enqueue(deliveries);
    // …and the process died here: markEnqueued never ran.

    expect(await outboxCount()).toBe(0);
    // Past the threshold, some deliveries are still 'pending' in the ledger while their jobs are in Redis.
    await eventually(async () => {
      const [{ n }] = await dataSource.query(
        `SELECT count(*)::int AS n FROM outbox_delivery
         WHERE event_id = ANY($1::uuid[]) AND state = 'pending' AND updated_at < now() - make_interval(secs => $2::double precision / 1000)`,
        [ids, SWEEP_AFTER_MS],
      );
      expect(n).toBeGreaterThan(0);
    });
    // The sweeper sees the live jobs and re-drives none of them.
    expect(await sweeper.sweep()).toBe(0);

    await eventually(
      async () => {
        expect(await sweeper.sweep()).toBe(0);
        expect(await ledgerOf(ids)).toEqual([{ state: 'handled', n: 20, min_redrives: 0, max_redrives: 0 }]);
      },
      { timeoutMs: 15_000, intervalMs: 100 },
    );
    expect(await effectsOf(ids)).toEqual({ rows: 20, distinct: 20 });
    expect(faults.recorder.calls).toBe(20);
    // Nothing is left in the queue that could still run a second time. A job is marked completed
    // just after its handler's transaction commits, so the last one may still count as active for a
    // moment after the ledger says handled (seen on the PostgreSQL queue backend).
    await eventually(async () => expect(await liveJobs()).toBe(0));
    expect(await sweeper.sweep()).toBe(0);
    expect(await effectsOf(ids)).toEqual({ rows: 20, distinct: 20 });
  });

  it('killed right after the claim: the sweeper re-drives every delivery, each handled once', async () => {
    const events = await appendThings(dataSource, writer, 30, { aggregateId: 'died-after-claim' });
    const ids = events.map((e) => e.id);

    const { claimed } = await relay.claim();
    expect(claimed).toBe(30);
    // …and the process died here: nothing was enqueued.

    expect(await outboxCount()).toBe(0);
    expect(await ledgerOf(ids)).toEqual([{ state: 'pending', n: 30, min_redrives: 0, max_redrives: 0 }]);
    expect(await liveJobs()).toBe(0);
    expect(await effectsOf(ids)).toEqual({ rows: 0, distinct: 0 });

    let redriven = 0;
    await eventually(
      async () => {
        redriven += await sweeper.sweep();
        expect(await ledgerOf(ids)).toEqual([{ state: 'handled', n: 30, min_redrives: 1, max_redrives: 1 }]);
      },
      { timeoutMs: 15_000, intervalMs: 100 },
    );
    expect(redriven).toBe(30);
    expect(await effectsOf(ids)).toEqual({ rows: 30, distinct: 30 });
    await eventually(async () => expect(await liveJobs()).toBe(0));
  });

  it('a claim undone by a database crash after its jobs were enqueued: the jobs wait for the new claim, then run once', async () => {
    // The relay's statements commit asynchronously (relay.ts): a PostgreSQL crash can undo a claim
    // whose jobs are already in Redis. Simulated: claim, then the crash's effect (rows back in the
    // outbox, no archive, no ledger rows), then the jobs the relay had enqueued.
    const events = await appendThings(dataSource, writer, 10, { aggregateId: 'claim-undone' });
    const ids = events.map((e) => e.id);
    const { claimed, deliveries } = await relay.claim();
    expect(claimed).toBe(10);
    await dataSource.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO outbox_message (id, type, version, aggregate_type, aggregate_id, aggregate_seq, occurred_at, correlation_id, causation_id, payload, priority)
         SELECT id, type, version, aggregate_type, aggregate_id, aggregate_seq, occurred_at, correlation_id, causation_id, payload, 0
         FROM outbox_event WHERE id = ANY($1::uuid[])`,
        [ids],
      );
      await tx.query(`DELETE FROM outbox_delivery WHERE event_id = ANY($1::uuid[])`, [ids]);
      await tx.query(`DELETE FROM outbox_event WHERE id = ANY($1::uuid[])`, [ids]);
    });
    await queues.enqueue(deliveries);

    // The jobs match no committed event yet (docs/adr/0019-forged-jobs-and-pruning.md), but their
    // events wait in the outbox: they are checked again later, neither run nor called forged.
    const queue = queues.queue('critical');
    await eventually(async () => {
      for (const { jobId } of deliveries) expect(await queue.getJobState(jobId)).toBe('delayed');
    });
    expect(await effectsOf(ids)).toEqual({ rows: 0, distinct: 0 });
    // The relay claims the rows again (same job ids: BullMQ keeps the waiting jobs, so nothing new is
    // added); the delayed jobs now match and run, once each.
    expect(await relay.relayBatch()).toBe(10);
    expect(await outboxCount()).toBe(0);
    await eventually(
      async () => {
        expect(await ledgerOf(ids)).toEqual([{ state: 'handled', n: 10, min_redrives: 0, max_redrives: 0 }]);
      },
      { timeoutMs: 15_000, intervalMs: 100 },
    );
    expect(await effectsOf(ids)).toEqual({ rows: 10, distinct: 10 });
    expect(faults.recorder.calls).toBe(10);
    const [{ letters }] = await dataSource.query(
      `SELECT count(*)::int AS letters FROM outbox_dead_letter WHERE event_id = ANY($1::uuid[])`,
      [ids],
    );
    expect(letters).toBe(0);
    expect(await sweeper.sweep()).toBe(0);
  });
});
