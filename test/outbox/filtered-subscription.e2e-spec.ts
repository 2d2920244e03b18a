import { DataSource } from 'typeorm';
import { OutboxWriter } from '../../src/outbox/index.js';
import { type DeliveryJobData, LaneQueues, Sweeper } from '../../src/outbox/testing.js';
import { eventually } from '../support/eventually.js';
import {
  createEffectTable,
  filteredSubscription,
  outboxTestSetup,
  recorderSubscription,
  ThingHappened,
} from '../support/outbox-fixtures.js';
import { useTestApp } from '../support/scenario.js';

const FILTERED = filteredSubscription.name;
const RECORDER = recorderSubscription.name;

/** A subscription's filter is applied when the relay writes the ledger (docs/adr/0025-round-trips-and-filtered-subscriptions.md). */
describe('outbox: a filtered subscription', () => {
  const t = useTestApp({
    ...outboxTestSetup([recorderSubscription, filteredSubscription]),
    env: { OUTBOX_RELAY_POLL_INTERVAL_MS: '50', OUTBOX_SWEEP_AFTER_MS: '100' },
  });
  let dataSource: DataSource;
  let writer: OutboxWriter;

  beforeAll(async () => {
    dataSource = t.app.get(DataSource);
    writer = t.app.get(OutboxWriter);
    await createEffectTable(dataSource);
  });

  const rowsOf = async (table: 'outbox_delivery' | 'outbox_inbox' | 'test_effect', subscriber: string, ids: string[]) =>
    (
      await dataSource.query(
        `SELECT event_id FROM ${table} WHERE subscriber = $1 AND event_id = ANY($2::uuid[]) ORDER BY event_id`,
        [subscriber, ids],
      )
    ).map((row: { event_id: string }) => row.event_id);

  it('gets a delivery, a job and an inbox row only for events whose payload passes it; the others reach unfiltered subscribers', async () => {
    const events = await dataSource.transaction((tx) =>
      writer.append(
        tx,
        ['wanted', 'other', 'wanted', 'WANTED'].map((key, n) => ({
          contract: ThingHappened,
          aggregateId: 'filtered-1',
          payload: { key, n },
        })),
      ),
    );
    const ids = events.map((e) => e.id);
    const wanted = [ids[0], ids[2]].sort();
    await eventually(async () => expect(await rowsOf('test_effect', RECORDER, ids)).toHaveLength(4));
    await eventually(async () => expect(await rowsOf('test_effect', FILTERED, ids)).toEqual(wanted));
    expect(await rowsOf('outbox_delivery', FILTERED, ids)).toEqual(wanted);
    expect(await rowsOf('outbox_inbox', FILTERED, ids)).toEqual(wanted);
    expect(await rowsOf('outbox_delivery', RECORDER, ids)).toEqual([...ids].sort());
  });

  it('leaves the sweeper nothing to re-drive for the events it filtered out', async () => {
    const events = await dataSource.transaction((tx) =>
      writer.append(tx, [{ contract: ThingHappened, aggregateId: 'filtered-2', payload: { key: 'other', n: 1 } }]),
    );
    const ids = events.map((e) => e.id);
    await eventually(async () => expect(await rowsOf('test_effect', RECORDER, ids)).toHaveLength(1));
    // The sweep below looks only at rows older than OUTBOX_SWEEP_AFTER_MS (100 ms): wait until every
    // row of the event is, so that a stray delivery would be one it re-drives.
    await eventually(async () => {
      const [{ old }] = await dataSource.query(
        `SELECT bool_and(at < now() - interval '100 milliseconds') AS old FROM (
           SELECT relayed_at AS at FROM outbox_event WHERE id = ANY($1::uuid[])
           UNION ALL SELECT updated_at FROM outbox_delivery WHERE event_id = ANY($1::uuid[])) r`,
        [ids],
      );
      expect(old).toBe(true);
    });
    expect(await t.app.get(Sweeper).sweep()).toBe(0);
    const [{ open }] = await dataSource.query(
      `SELECT count(*)::int AS open FROM outbox_delivery WHERE state IN ('pending', 'enqueued')`,
    );
    expect(open).toBe(0);
    expect(await rowsOf('test_effect', FILTERED, ids)).toEqual([]);
    expect(await rowsOf('outbox_delivery', FILTERED, ids)).toEqual([]);
  });

  it('records without calling the handler a delivery that fails the filter (one relayed before the filter existed)', async () => {
    const [other] = await dataSource.transaction((tx) =>
      writer.append(tx, [{ contract: ThingHappened, aggregateId: 'filtered-3', payload: { key: 'other', n: 1 } }]),
    );
    await eventually(async () => expect(await rowsOf('test_effect', RECORDER, [other.id])).toHaveLength(1));
    // What an older release's relay made of it, before the subscription had a filter: a delivery and its job.
    const queue = t.app.get(LaneQueues).queue(filteredSubscription.lane);
    const jobId = `${other.id}-${FILTERED}-before-filter`;
    await dataSource.query(
      `INSERT INTO outbox_delivery (event_id, subscriber, lane, state, job_id, enqueued_at)
       VALUES ($1, $2, $3, 'enqueued', $4, now())`,
      [other.id, FILTERED, filteredSubscription.lane, jobId],
    );
    await queue.add(FILTERED, { subscriber: FILTERED, envelope: other } satisfies DeliveryJobData, { jobId });
    await eventually(async () => {
      const job = await queue.getJob(jobId);
      expect({ state: await job?.getState(), failed: job?.failedReason }).toEqual({
        state: 'completed',
        failed: undefined,
      });
    });
    expect(await rowsOf('outbox_inbox', FILTERED, [other.id])).toEqual([other.id]);
    const [delivery] = await dataSource.query(
      `SELECT state FROM outbox_delivery WHERE event_id = $1 AND subscriber = $2`,
      [other.id, FILTERED],
    );
    expect(delivery.state).toBe('handled');
    expect(await rowsOf('test_effect', FILTERED, [other.id])).toEqual([]);
  });
});
