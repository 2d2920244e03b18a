import request from 'supertest';
import { DataSource } from 'typeorm';
import { LaneQueues, Relay } from '../../src/outbox/testing.js';
import { OutboxWriter } from '../../src/outbox/index.js';
import { runWithCorrelation } from '../../src/platform/context/index.js';
import { eventually } from '../support/eventually.js';
import {
  appendThings,
  createEffectTable,
  faults,
  outboxTestSetup,
  recorderSubscription,
  ThingHappened,
  ThingRejectedError,
} from '../support/outbox-fixtures.js';
import { useTestApp } from '../support/scenario.js';

const RECORDER = recorderSubscription.name;

describe('admin message journeys (GET /admin/messages)', () => {
  // Workers but no relay loop: the test relays itself, so it can look at an event before that.
  const t = useTestApp({ ...outboxTestSetup([recorderSubscription]), env: { APP_ROLES: 'api,worker' } });
  let dataSource: DataSource;
  let writer: OutboxWriter;
  let relay: Relay;
  let admin: string;

  beforeAll(async () => {
    dataSource = t.app.get(DataSource);
    writer = t.app.get(OutboxWriter);
    relay = t.app.get(Relay);
    admin = `Bearer ${t.token({ sub: 'ops', roles: ['admin'] })}`;
    await createEffectTable(dataSource);
  });
  beforeEach(() => faults.recorder.reset());

  const journey = (eventId: string) => request(t.url).get(`/admin/messages/${eventId}`).set('Authorization', admin);
  const state = async (eventId: string) =>
    (await dataSource.query(`SELECT state FROM outbox_delivery WHERE event_id = $1`, [eventId]))[0]?.state;
  const relayAll = async () => {
    while ((await relay.relayBatch()) > 0);
  };
  /** Appends `count` events as a request with `correlationId` would, or a handler of `causedBy`. */
  const appendAs = (correlationId: string, causedBy: string | undefined, aggregateId: string, count = 1) =>
    runWithCorrelation({ correlationId, causationId: causedBy }, () =>
      appendThings(dataSource, writer, count, { aggregateId }),
    );

  it('shows an event still in the outbox, then its delivery and the events it caused', async () => {
    const [parent] = await appendAs('corr-journey', undefined, 'journey-parent');

    const waiting = await journey(parent.id);
    expect(waiting.status).toBe(200);
    expect(waiting.body).toEqual({ envelope: parent, relayedAt: null, deliveries: [], causedEvents: [] });

    await relayAll();
    await eventually(async () => expect(await state(parent.id)).toBe('handled'));
    const [child] = await appendAs('corr-journey', parent.id, 'journey-child');

    const handled = await journey(parent.id);
    expect(handled.status).toBe(200);
    expect(handled.body.envelope).toEqual(parent);
    expect(Date.parse(handled.body.relayedAt)).not.toBeNaN();
    expect(handled.body.deliveries).toEqual([
      {
        subscriber: RECORDER,
        lane: 'critical',
        state: 'handled',
        attempts: 1,
        redrives: 0,
        enqueuedAt: expect.any(String),
        handledAt: expect.any(String),
        lastError: null,
        deadLetter: null,
      },
    ]);
    // The child is still in the outbox: caused events are found there as well as in the archive.
    expect(handled.body.causedEvents).toEqual([
      { id: child.id, type: ThingHappened.type, version: ThingHappened.version, occurredAt: child.occurredAt },
    ]);
  });

  describe("when a worker finishes before the relay's enqueued mark lands (ADR 0029)", () => {
    const ledgerRow = async (eventId: string) =>
      (
        await dataSource.query(
          `SELECT state, attempts, enqueued_at, handled_at FROM outbox_delivery WHERE event_id = $1 AND subscriber = $2`,
          [eventId, RECORDER],
        )
      )[0] as { state: string; attempts: number; enqueued_at: Date | null; handled_at: Date | null };

    // Earlier tests leave events in the outbox (a caused child): relay them first, so a claim takes only this test's.
    beforeEach(relayAll);

    it('records the handled delivery as enqueued no later than handled, and the late mark changes nothing', async () => {
      const [event] = await appendAs('corr-race-handled', undefined, 'race-handled');
      // The relay's three steps, with the worker let in between the enqueue and the mark.
      const { deliveries } = await relay.claim();
      expect(deliveries.map((d) => d.envelope.id)).toEqual([event.id]);
      expect((await ledgerRow(event.id)).state).toBe('pending');
      await t.app.get(LaneQueues).enqueue(deliveries);
      await eventually(async () => expect(await state(event.id)).toBe('handled'));

      const beforeMark = await ledgerRow(event.id);
      expect(beforeMark.enqueued_at).not.toBeNull();
      expect(beforeMark.enqueued_at!.getTime()).toBeLessThanOrEqual(beforeMark.handled_at!.getTime());

      await relay.markEnqueued(deliveries);
      expect(await ledgerRow(event.id)).toEqual(beforeMark);
      const res = await journey(event.id);
      expect(res.body.deliveries).toEqual([
        expect.objectContaining({
          state: 'handled',
          attempts: 1,
          enqueuedAt: beforeMark.enqueued_at!.toISOString(),
          handledAt: beforeMark.handled_at!.toISOString(),
        }),
      ]);
      const effects = await dataSource.query(`SELECT 1 FROM test_effect WHERE event_id = $1`, [event.id]);
      expect(effects).toHaveLength(1);
    });

    it('keeps the relay mark when it lands first', async () => {
      const [event] = await appendAs('corr-race-marked', undefined, 'race-marked');
      const { deliveries } = await relay.claim();
      await relay.markEnqueued(deliveries);
      const marked = await ledgerRow(event.id);
      expect(marked.state).toBe('enqueued');
      expect(marked.enqueued_at).not.toBeNull();

      await t.app.get(LaneQueues).enqueue(deliveries);
      await eventually(async () => expect(await state(event.id)).toBe('handled'));
      const handled = await ledgerRow(event.id);
      expect(handled.enqueued_at).toEqual(marked.enqueued_at);
      expect(handled.handled_at!.getTime()).toBeGreaterThanOrEqual(marked.enqueued_at!.getTime());
    });

    it('records a delivery dead-lettered before the mark as enqueued, and the mark does not revive it', async () => {
      faults.recorder.failuresLeft = 1;
      faults.recorder.error = () => new ThingRejectedError('rejected before the mark');
      const [event] = await appendAs('corr-race-dead', undefined, 'race-dead');
      const { deliveries } = await relay.claim();
      await t.app.get(LaneQueues).enqueue(deliveries);
      await eventually(async () => expect(await state(event.id)).toBe('dead'));
      const dead = await ledgerRow(event.id);
      expect(dead.enqueued_at).not.toBeNull();

      await relay.markEnqueued(deliveries);
      expect(await ledgerRow(event.id)).toEqual(dead);
      const res = await journey(event.id);
      expect(res.body.deliveries).toEqual([
        expect.objectContaining({ state: 'dead', enqueuedAt: dead.enqueued_at!.toISOString(), handledAt: null }),
      ]);
    });
  });

  it('shows retries, the last error and the dead letter of a delivery that failed', async () => {
    faults.recorder.failuresLeft = 100;
    faults.recorder.error = () => new Error('downstream is down');
    const [event] = await appendAs('corr-dead', undefined, 'journey-dead');
    await relayAll();
    await eventually(async () => expect(await state(event.id)).toBe('dead'));

    const res = await journey(event.id);
    expect(res.status).toBe(200);
    expect(res.body.deliveries).toEqual([
      expect.objectContaining({
        subscriber: RECORDER,
        state: 'dead',
        attempts: recorderSubscription.retry.attempts,
        handledAt: null,
        lastError: 'downstream is down',
        deadLetter: { id: expect.any(String), reason: 'exhausted', status: 'dead', replayCount: 0 },
      }),
    ]);
  });

  it('lists the journeys of one correlation id, oldest first, a page at a time', async () => {
    const first = await appendAs('corr-list', undefined, 'list-a', 2);
    const [third] = await appendAs('corr-list', first[0].id, 'list-b');
    await appendAs('corr-other', undefined, 'list-c');
    await relayAll();
    const ids = [...first, third].map((e) => e.id);

    const all = await request(t.url).get('/admin/messages?correlationId=corr-list').set('Authorization', admin);
    expect(all.status).toBe(200);
    expect(all.body.items.map((j: { envelope: { id: string } }) => j.envelope.id)).toEqual(ids);
    expect(all.body.items[0].causedEvents.map((c: { id: string }) => c.id)).toEqual([third.id]);
    expect(all.body.nextCursor).toBeNull();

    const page1 = await request(t.url)
      .get('/admin/messages?correlationId=corr-list&limit=2')
      .set('Authorization', admin);
    expect(page1.body.items.map((j: { envelope: { id: string } }) => j.envelope.id)).toEqual(ids.slice(0, 2));
    expect(page1.body.nextCursor).toEqual(expect.any(String));
    const page2 = await request(t.url)
      .get(`/admin/messages?correlationId=corr-list&limit=2&cursor=${page1.body.nextCursor}`)
      .set('Authorization', admin);
    expect(page2.body.items.map((j: { envelope: { id: string } }) => j.envelope.id)).toEqual(ids.slice(2));
    expect(page2.body.nextCursor).toBeNull();
  });

  it('answers 404 for an unknown event, 400 for bad input, and only to admins', async () => {
    expect((await journey('0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b')).status).toBe(404);
    expect((await journey('not-a-uuid')).status).toBe(400);
    expect((await request(t.url).get('/admin/messages').set('Authorization', admin)).status).toBe(400);
    expect(
      (await request(t.url).get('/admin/messages?correlationId=x&limit=0').set('Authorization', admin)).status,
    ).toBe(400);
    expect((await request(t.url).get('/admin/messages?correlationId=x')).status).toBe(401);
    const citizen = `Bearer ${t.token({ sub: 'c-1', roles: ['citizen'] })}`;
    expect((await request(t.url).get('/admin/messages?correlationId=x').set('Authorization', citizen)).status).toBe(
      403,
    );
  });
});
