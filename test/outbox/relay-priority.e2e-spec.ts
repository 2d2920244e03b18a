import { DataSource } from 'typeorm';
import { OutboxWriter } from '../../src/outbox/index.js';
import { Relay } from '../../src/outbox/testing.js';
import { appendThings, outboxTestSetup, ThingHappened, ThingObserved } from '../support/outbox-fixtures.js';
import { useTestApp } from '../support/scenario.js';

describe('relay claim order', () => {
  // No relay loop: the test claims batch by batch itself.
  const t = useTestApp({
    ...outboxTestSetup(),
    env: { APP_ROLES: 'api', OUTBOX_RELAY_BATCH_SIZE: '3', OUTBOX_RELAY_BULK_BATCH_SIZE: '2' },
  });

  it('claims rows for critical subscribers before an older backlog of bulk rows', async () => {
    const dataSource = t.app.get(DataSource);
    const writer = t.app.get(OutboxWriter);
    const bulk = await appendThings(dataSource, writer, 6, { contract: ThingObserved, aggregateId: 'flood' });
    const critical = await appendThings(dataSource, writer, 2, { contract: ThingHappened, aggregateId: 'urgent' });
    const priorities = await dataSource.query(
      `SELECT type, priority FROM outbox_message GROUP BY type, priority ORDER BY type`,
    );
    expect(priorities).toEqual([
      { type: 'testing.thing-happened', priority: 0 },
      { type: 'testing.thing-observed', priority: 2 },
    ]);

    const relay = t.app.get(Relay);
    const batches: string[][] = [];
    for (;;) {
      const { claimed, deliveries } = await relay.claim();
      if (claimed === 0) break;
      batches.push([...new Set(deliveries.map((d) => d.envelope.id))].sort());
    }
    // Up to 3 urgent rows and 2 bulk rows per batch: both critical rows go in the first, the bulk
    // rows follow oldest first, two at a time.
    const ids = (events: Array<{ id: string }>) => events.map((e) => e.id).sort();
    const oldestFirst = ids(bulk);
    expect(batches).toEqual([
      [...ids(critical), ...oldestFirst.slice(0, 2)].sort(),
      oldestFirst.slice(2, 4),
      oldestFirst.slice(4),
    ]);
  });
});
