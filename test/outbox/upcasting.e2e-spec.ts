import { Injectable } from '@nestjs/common';
import { IsString, Length } from 'class-validator';
import request from 'supertest';
import { DataSource, type EntityManager } from 'typeorm';
import { eventCatalogue } from '../../src/event-catalogue.js';
import {
  defineEvent,
  defineUpcaster,
  type Envelope,
  type EventHandler,
  HandlesEvents,
  NonRetryableError,
  OutboxWriter,
  subscribe,
} from '../../src/outbox/index.js';
import { EventCatalogue } from '../../src/outbox/host.js';
import { eventually } from '../support/eventually.js';
import { appendThings, ThingHappened, ThingPayload } from '../support/outbox-fixtures.js';
import { useTestApp } from '../support/scenario.js';

/** Version 2 of the test event: a label the first version did not carry. */
class ThingPayloadV2 extends ThingPayload {
  @IsString()
  @Length(1, 64)
  label!: string;
}

const ThingHappenedV2 = defineEvent({
  type: 'testing.thing-happened',
  version: 2,
  owner: 'testing',
  aggregateType: 'thing',
  description: 'test event, version 2',
  payload: ThingPayloadV2,
});

const thingV1ToV2 = defineUpcaster({
  from: ThingHappened,
  to: ThingHappenedV2,
  upcast: (payload: ThingPayload): ThingPayloadV2 => ({ ...payload, label: `label-${payload.key}` }),
});

/** A subscriber that now handles version 2 only. */
const v2Subscription = subscribe(ThingHappenedV2, {
  name: 'testing.v2-recorder',
  module: 'testing',
  lane: 'critical',
  retry: { attempts: 2, backoffMs: 20 },
});

const handling = { failNext: 0 };

@Injectable()
@HandlesEvents(v2Subscription)
class V2Recorder implements EventHandler<ThingPayloadV2> {
  async handle(event: Envelope<ThingPayloadV2>, tx: EntityManager): Promise<void> {
    if (handling.failNext > 0) {
      handling.failNext -= 1;
      throw new NonRetryableError('the downstream refused it (upcasting test)');
    }
    await tx.query(`INSERT INTO upcast_effect (event_id, version, label, n) VALUES ($1, $2, $3, $4)`, [
      event.id,
      event.version,
      event.payload.label,
      event.payload.n,
    ]);
  }
}

/**
 * Event versions evolve safely (docs/adr/0045-event-upcasters.md): events stored or in flight as
 * version 1 reach a subscriber that now handles version 2, upcast on delivery, and on replay from
 * a dead letter; what is stored stays version 1.
 */
describe('upcasting: a v1 event reaches a subscriber that handles v2', () => {
  const t = useTestApp({
    catalogue: new EventCatalogue(
      [...eventCatalogue.allContracts(), ThingHappened, ThingHappenedV2],
      [...eventCatalogue.allSubscriptions(), v2Subscription],
      [thingV1ToV2],
    ),
    providers: [V2Recorder],
  });
  let db: DataSource;
  let writer: OutboxWriter;
  const admin = () => `Bearer ${t.token({ sub: 'ops', roles: ['admin'] })}`;

  beforeAll(async () => {
    db = t.app.get(DataSource);
    writer = t.app.get(OutboxWriter);
    await db.query(`CREATE TABLE upcast_effect (event_id uuid PRIMARY KEY, version int, label text, n int)`);
  });

  it('delivers stored v1 events as v2, and stores them as v1', async () => {
    const [event] = await appendThings(db, writer, 1, { aggregateId: 'upcast-1', startN: 7 });
    expect(event).toMatchObject({ type: 'testing.thing-happened', version: 1 });
    const rows = await eventually(async () => {
      const found = await db.query(`SELECT version, label, n FROM upcast_effect WHERE event_id = $1`, [event.id]);
      expect(found).toHaveLength(1);
      return found;
    });
    expect(rows).toEqual([{ version: 2, label: 'label-k7', n: 7 }]);
    const [stored] = await db.query(`SELECT version, payload FROM outbox_event WHERE id = $1`, [event.id]);
    expect(stored).toEqual({ version: 1, payload: { key: 'k7', n: 7 } });
  });

  it('replays a dead-lettered v1 event to the v2 subscriber, upcast again', async () => {
    handling.failNext = 1;
    const [event] = await appendThings(db, writer, 1, { aggregateId: 'upcast-2', startN: 9 });
    const letter = await eventually(async () => {
      const res = await request(t.url)
        .get('/admin/dead-letters')
        .query({ subscriber: v2Subscription.name })
        .set('Authorization', admin());
      const found = (res.body.items as Array<{ id: string; eventId: string; envelope: Envelope }>).find(
        (d) => d.eventId === event.id,
      );
      expect(found).toBeDefined();
      return found!;
    });
    // The dead letter keeps the event as it was stored.
    expect(letter.envelope).toMatchObject({ version: 1, payload: { key: 'k9', n: 9 } });
    expect(await db.query(`SELECT 1 FROM upcast_effect WHERE event_id = $1`, [event.id])).toEqual([]);

    const replay = await request(t.url).post(`/admin/dead-letters/${letter.id}/replay`).set('Authorization', admin());
    expect(replay.status).toBe(202);
    await eventually(async () => {
      const rows = await db.query(`SELECT version, label, n FROM upcast_effect WHERE event_id = $1`, [event.id]);
      expect(rows).toEqual([{ version: 2, label: 'label-k9', n: 9 }]);
    });
  });
});
