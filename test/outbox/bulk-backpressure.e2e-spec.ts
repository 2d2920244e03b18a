import { DataSource } from 'typeorm';
import { LaneQueues } from '../../src/outbox/testing.js';
import { OutboxWriter } from '../../src/outbox/index.js';
import { consistently, eventually } from '../support/eventually.js';
import { appendThings, outboxTestSetup, ThingHappened, ThingObserved } from '../support/outbox-fixtures.js';
import { useTestApp } from '../support/scenario.js';

describe('relay backpressure for the bulk lane', () => {
  // A relay but no workers: nothing consumes the queues, so the bulk backlog only grows.
  const t = useTestApp({
    ...outboxTestSetup(),
    env: {
      APP_ROLES: 'api,relay',
      OUTBOX_RELAY_POLL_INTERVAL_MS: '50',
      OUTBOX_RELAY_BULK_BATCH_SIZE: '10',
      OUTBOX_RELAY_BULK_BACKLOG_MAX: '50',
    },
  });
  let dataSource: DataSource;

  beforeAll(async () => {
    dataSource = t.app.get(DataSource);
  });

  const outboxRows = async (type: string) =>
    Number((await dataSource.query(`SELECT count(*) AS n FROM outbox_message WHERE type = $1`, [type]))[0].n);

  it('leaves bulk rows in the outbox while the bulk queue is full, never holds urgent rows, and resumes when it drains', async () => {
    const writer = t.app.get(OutboxWriter);
    const bulk = t.app.get(LaneQueues).queue('bulk');
    await appendThings(dataSource, writer, 200, { contract: ThingObserved, aggregateId: 'pressure' });

    // The relay stops at the first batch that reaches the limit: 50 to 59 jobs waiting, the rest kept.
    await eventually(async () => expect(await bulk.getWaitingCount()).toBeGreaterThanOrEqual(50));
    // …and it stays there: no further batch goes out while the queue is full.
    await consistently(async () => expect(await bulk.getWaitingCount()).toBeLessThan(60), { within: 300 });
    const waiting = await bulk.getWaitingCount();
    expect(waiting).toBeLessThan(60);
    expect(await outboxRows(ThingObserved.type)).toBe(200 - waiting);

    // Urgent rows have a drain of their own: a critical event goes through at once.
    const [urgent] = await appendThings(dataSource, writer, 1, { contract: ThingHappened, aggregateId: 'urgent' });
    await eventually(async () =>
      expect(await t.app.get(LaneQueues).queue('critical').getJob(`${urgent.id}-testing.recorder`)).toBeTruthy(),
    );
    expect(await outboxRows(ThingObserved.type)).toBe(200 - waiting);

    // Room again: the rest follows, each event once.
    await bulk.drain();
    await eventually(async () => expect(await bulk.getWaitingCount()).toBeGreaterThanOrEqual(50));
    expect(await outboxRows(ThingObserved.type)).toBeLessThan(200 - waiting);
    const [{ deliveries, distinct }] = await dataSource.query(
      `SELECT count(*)::int AS deliveries, count(DISTINCT event_id)::int AS distinct FROM outbox_delivery WHERE subscriber = 'testing.bulk-recorder'`,
    );
    expect(deliveries).toBe(distinct);
    expect(deliveries + (await outboxRows(ThingObserved.type))).toBe(200);
  });
});
