import request from 'supertest';
import { DataSource } from 'typeorm';
import { OutboxWriter, ScheduledTasks } from '../../src/outbox/index.js';
import { eventually } from './eventually.js';
import {
  appendThings,
  createEffectTable,
  effectCounts,
  faults,
  outboxTestSetup,
  recorderSubscription,
} from './outbox-fixtures.js';
import { startTestApp, type TestApp } from './test-app.js';
import { pace } from './pace.js';

/**
 * The scenario the Redis-loss chaos suites share (FLUSHALL, a Cluster master lost, a Sentinel
 * failover): a flow of recorder events, Redis loses or drops work midway, and every event must
 * still be handled exactly once, the sweeper re-driving from PostgreSQL what Redis lost.
 */

/** Delivery counts by state. */
export type DeliveryStates = Record<string, number | undefined>;

/** A test app on the recorder subscription with a fast sweeper, on the Redis that `env` names. */
export async function startRedisLossApp(env: Record<string, string>): Promise<{ t: TestApp; dataSource: DataSource }> {
  faults.recorder.reset();
  const t = await startTestApp({
    ...outboxTestSetup([recorderSubscription]),
    env: {
      OUTBOX_SWEEP_AFTER_MS: '500',
      OUTBOX_SWEEP_INTERVAL_MS: '500',
      OUTBOX_RELAY_POLL_INTERVAL_MS: '100',
      LANE_CONCURRENCY_CRITICAL: '4',
      ...env,
    },
  });
  const dataSource = t.app.get(DataSource);
  await createEffectTable(dataSource);
  return { t, dataSource };
}

export async function deliveryStates(dataSource: DataSource): Promise<DeliveryStates> {
  const rows: Array<{ state: string; n: number }> = await dataSource.query(
    `SELECT state, count(*)::int AS n FROM outbox_delivery GROUP BY state`,
  );
  return Object.fromEntries(rows.map((r) => [r.state, r.n]));
}

export interface FlowWithFault {
  transactions: number;
  eventsPerTransaction: number;
  /** Aggregate ids are `<aggregate>-<transaction>`. */
  aggregate: string;
  /** Before this transaction: once some deliveries are handled and some still sit in Redis. */
  faultAt: number;
  fault: () => Promise<void>;
  /** Before this transaction (later than `faultAt`), with no condition: a repair, say. */
  recoverAt?: number;
  recover?: () => Promise<void>;
}

/**
 * Appends the flow's events, one transaction at a time and paced, with handling slow enough that work
 * is still queued when the fault strikes. Returns the ids appended and the states at the fault
 * (`open`: enqueued or pending).
 */
export async function flowWithFault(
  t: TestApp,
  flow: FlowWithFault,
): Promise<{ appended: string[]; atFault: { handled: number; open: number } }> {
  const dataSource = t.app.get(DataSource);
  const writer = t.app.get(OutboxWriter);
  const scheduled = t.app.get(ScheduledTasks);
  faults.recorder.delayMs = 5;
  // The sweep's job scheduler lives on the scheduled-tasks queue (registered by Maintenance).
  await eventually(async () =>
    expect((await scheduled.queue.getJobSchedulers()).map((s) => s.key)).toContain('outbox-sweep'),
  );
  const appended: string[] = [];
  let atFault = { handled: 0, open: 0 };
  for (let tx = 0; tx < flow.transactions; tx++) {
    if (tx === flow.faultAt) {
      await eventually(async () => {
        const states = await deliveryStates(dataSource);
        expect(states.handled ?? 0).toBeGreaterThan(0);
        expect(states.enqueued ?? 0).toBeGreaterThan(0);
      });
      await flow.fault();
      const states = await deliveryStates(dataSource);
      atFault = { handled: states.handled ?? 0, open: (states.enqueued ?? 0) + (states.pending ?? 0) };
    }
    if (tx === flow.recoverAt) await flow.recover?.();
    const events = await appendThings(dataSource, writer, flow.eventsPerTransaction, {
      aggregateId: `${flow.aggregate}-${tx}`,
      startN: tx * flow.eventsPerTransaction,
    });
    appended.push(...events.map((e) => e.id));
    await pace(20); // pacing of the flow, not a wait for an effect
  }
  expect(appended).toHaveLength(flow.transactions * flow.eventsPerTransaction);
  return { appended, atFault };
}

/**
 * Waits until every delivery is handled, then checks each appended event took effect exactly once
 * and the outbox is empty; returns how many deliveries the sweeper re-drove.
 */
export async function expectEachHandledOnce(
  dataSource: DataSource,
  appended: string[],
  { timeoutMs = 30_000 } = {},
): Promise<number> {
  const total = appended.length;
  await eventually(async () => expect(await deliveryStates(dataSource)).toEqual({ handled: total }), {
    timeoutMs,
    intervalMs: 200,
  });
  expect(await effectCounts(dataSource, recorderSubscription.name)).toEqual({ rows: total, distinct: total });
  const [{ n: ofAppended }] = await dataSource.query(
    `SELECT count(DISTINCT event_id)::int AS n FROM test_effect WHERE event_id = ANY($1::uuid[])`,
    [appended],
  );
  expect(ofAppended).toBe(total);
  const [{ n: left }] = await dataSource.query(`SELECT count(*)::int AS n FROM outbox_message`);
  expect(left).toBe(0);
  const [{ redriven }] = await dataSource.query(
    `SELECT count(*)::int AS redriven FROM outbox_delivery WHERE redrive_count > 0`,
  );
  return redriven;
}

/**
 * Posts an unsigned gateway webhook: refused by the signature check (400) after the rate limiter
 * counted it under `{ip-127.0.0.1:webhook}`, in Redis when Redis answers.
 */
export async function postUnsignedWebhook(t: TestApp): Promise<void> {
  const res = await request(t.url).post('/v1/payments/gateway-webhook').send({ eventId: 'junk' });
  expect(res.status).toBe(400);
}

/** Waits until the sweeper's and the retention's job schedulers exist (again). */
export async function expectSweepSchedules(t: TestApp): Promise<void> {
  const scheduled = t.app.get(ScheduledTasks);
  await eventually(async () =>
    expect((await scheduled.queue.getJobSchedulers()).map((s) => s.key)).toEqual(
      expect.arrayContaining(['outbox-sweep', 'outbox-retention']),
    ),
  );
}
