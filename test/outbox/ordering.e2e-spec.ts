import { DataSource } from 'typeorm';
import { type DeliveryToEnqueue, LaneQueues, Relay } from '../../src/outbox/testing.js';
import { OutboxWriter } from '../../src/outbox/index.js';
import { eventually } from '../support/eventually.js';
import { appendThings, createEffectTable, orderedSubscription, outboxTestSetup } from '../support/outbox-fixtures.js';
import { useApp } from '../support/scenario.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const ORDERED = orderedSubscription.name;

/** Deterministic shuffle, so a failure can be reproduced. */
function shuffle<T>(items: T[], seed: number): T[] {
  const copy = [...items];
  let state = seed;
  for (let i = copy.length - 1; i > 0; i--) {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    const j = state % (i + 1);
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy;
}

/** Starts an app whose relay loop does not run, so tests decide the order jobs reach the queue. */
async function startOrderedApp(env: Record<string, string>) {
  const t = await startTestApp({
    ...outboxTestSetup([orderedSubscription]),
    env: { APP_ROLES: 'api,worker', OUTBOX_SEQUENCE_RECHECK_MS: '20', ...env },
  });
  await createEffectTable(t.app.get(DataSource));
  return t;
}

async function claimAll(t: TestApp): Promise<DeliveryToEnqueue[]> {
  const { deliveries } = await t.app.get(Relay).claim();
  return deliveries;
}

async function enqueueOneByOne(t: TestApp, deliveries: DeliveryToEnqueue[]): Promise<void> {
  const queues = t.app.get(LaneQueues);
  for (const delivery of deliveries) await queues.enqueue([delivery]);
  await t.app.get(Relay).markEnqueued(deliveries);
}

describe('ordered subscribers', () => {
  const t = useApp(() => startOrderedApp({ OUTBOX_SEQUENCE_GAP_TIMEOUT_MS: '60000' }));

  it("apply one aggregate's events in aggregateSeq order even when jobs arrive shuffled", async () => {
    const dataSource = t.app.get(DataSource);
    const writer = t.app.get(OutboxWriter);
    await appendThings(dataSource, writer, 12, { aggregateId: 'ordered-a' });
    await appendThings(dataSource, writer, 8, { aggregateId: 'ordered-b', startN: 100 });
    await appendThings(dataSource, writer, 8, { aggregateId: 'ordered-a', startN: 12 });
    const deliveries = await claimAll(t);
    expect(deliveries).toHaveLength(28);
    const shuffled = shuffle(deliveries, 42);
    // The shuffle must really disorder aggregate a, or the test would prove nothing.
    const arrivalA = shuffled.filter((d) => d.envelope.aggregateId === 'ordered-a').map((d) => d.envelope.aggregateSeq);
    expect(arrivalA).not.toEqual([...arrivalA].sort((x, y) => x - y));

    await enqueueOneByOne(t, shuffled);

    await eventually(async () => {
      const [{ n }] = await dataSource.query(`SELECT count(*)::int AS n FROM test_effect WHERE subscriber = $1`, [
        ORDERED,
      ]);
      expect(n).toBe(28);
    });
    for (const aggregate of ['ordered-a', 'ordered-b']) {
      const rows: Array<{ seq: string }> = await dataSource.query(
        `SELECT seq FROM test_effect WHERE subscriber = $1 AND aggregate_id = $2 ORDER BY order_no`,
        [ORDERED, aggregate],
      );
      const applied = rows.map((r) => Number(r.seq));
      expect(applied).toEqual(Array.from({ length: applied.length }, (_, i) => i + 1));
    }
  });
});

describe('ordered subscribers with a sequence gap', () => {
  const t = useApp(() => startOrderedApp({ OUTBOX_SEQUENCE_GAP_TIMEOUT_MS: '600' }));

  it('hold a later event while its predecessor is missing, then dead-letter it as sequence-gap', async () => {
    const dataSource = t.app.get(DataSource);
    await appendThings(dataSource, t.app.get(OutboxWriter), 3, { aggregateId: 'gappy' });
    const deliveries = await claimAll(t);
    const [first, second, third] = [...deliveries].sort((a, b) => a.envelope.aggregateSeq - b.envelope.aggregateSeq);

    await enqueueOneByOne(t, [third, first]);
    await eventually(async () => {
      const rows = await dataSource.query(`SELECT seq FROM test_effect WHERE subscriber = $1`, [ORDERED]);
      expect(rows.map((r: { seq: string }) => Number(r.seq))).toEqual([1]);
    });
    const [waiting] = await dataSource.query(
      `SELECT state FROM outbox_delivery WHERE event_id = $1 AND subscriber = $2`,
      [third.envelope.id, ORDERED],
    );
    expect(waiting.state).toBe('enqueued');

    await eventually(async () => {
      const [letter] = await dataSource.query(`SELECT * FROM outbox_dead_letter WHERE event_id = $1`, [
        third.envelope.id,
      ]);
      expect(letter).toMatchObject({ reason: 'sequence-gap', subscriber: ORDERED, status: 'dead' });
    });

    // The missing event turns up after all: it is applied, and the dead-lettered successor can be replayed.
    await enqueueOneByOne(t, [second]);
    await eventually(async () => {
      const rows = await dataSource.query(`SELECT seq FROM test_effect WHERE subscriber = $1 ORDER BY order_no`, [
        ORDERED,
      ]);
      expect(rows.map((r: { seq: string }) => Number(r.seq))).toEqual([1, 2]);
    });
  });
});
