import request from 'supertest';
import { DataSource } from 'typeorm';
import { register } from 'prom-client';
import { type DeliveryJobData, LaneQueues } from '../../src/outbox/testing.js';
import { OutboxWriter } from '../../src/outbox/index.js';
import { consistently, eventually } from '../support/eventually.js';
import {
  appendThings,
  createEffectTable,
  effectCounts,
  faults,
  outboxTestSetup,
  recorderSubscription,
  ThingRejectedError,
} from '../support/outbox-fixtures.js';
import { useTestApp } from '../support/scenario.js';

const RECORDER = recorderSubscription.name;

async function metricValue(name: string, labels: Record<string, string>): Promise<number> {
  const metric = await register.getSingleMetric(name)?.get();
  const entry = metric?.values.find((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val));
  return entry?.value ?? 0;
}

describe('outbox delivery: inbox, retries, dead letters, replay', () => {
  const t = useTestApp({
    ...outboxTestSetup([recorderSubscription]),
    env: { OUTBOX_RELAY_POLL_INTERVAL_MS: '50', ADMIN_USERNAME: 'ops', ADMIN_PASSWORD: 'board-password' },
  });
  let dataSource: DataSource;
  let writer: OutboxWriter;
  let admin: string;

  beforeAll(async () => {
    dataSource = t.app.get(DataSource);
    writer = t.app.get(OutboxWriter);
    admin = `Bearer ${t.token({ sub: 'ops', roles: ['admin'] })}`;
    await createEffectTable(dataSource);
  });
  beforeEach(async () => {
    faults.recorder.reset();
    await dataSource.query('TRUNCATE test_effect');
  });

  const ledger = async (eventId: string) =>
    (
      await dataSource.query(`SELECT * FROM outbox_delivery WHERE event_id = $1 AND subscriber = $2`, [
        eventId,
        RECORDER,
      ])
    )[0];

  it('delivers every event once, records its inbox row and marks the ledger handled', async () => {
    const events = await appendThings(dataSource, writer, 50, { aggregateId: 'happy' });
    await eventually(async () => expect((await effectCounts(dataSource, RECORDER)).rows).toBe(50));
    expect(await effectCounts(dataSource, RECORDER)).toEqual({ rows: 50, distinct: 50 });
    const [{ n }] = await dataSource.query(
      `SELECT count(*)::int AS n FROM outbox_inbox WHERE subscriber = $1 AND event_id = ANY($2)`,
      [RECORDER, events.map((e) => e.id)],
    );
    expect(n).toBe(50);
    const states = await dataSource.query(
      `SELECT state, count(*)::int AS n FROM outbox_delivery WHERE event_id = ANY($1) GROUP BY state`,
      [events.map((e) => e.id)],
    );
    expect(states).toEqual([{ state: 'handled', n: 50 }]);
    expect(Number((await dataSource.query(`SELECT count(*) AS n FROM outbox_message`))[0].n)).toBe(0);
  });

  it('applies a job delivered three times once, and counts the duplicates', async () => {
    const before = await metricValue('outbox_duplicates_skipped_total', { subscriber: RECORDER });
    const events = await appendThings(dataSource, writer, 20, { aggregateId: 'dup' });
    await eventually(async () => expect((await effectCounts(dataSource, RECORDER)).rows).toBe(20));
    // Redeliver every event twice more, as a stalled job or a re-drive would.
    const queue = t.app.get(LaneQueues).queue('critical');
    for (const copy of [1, 2]) {
      await queue.addBulk(
        events.map((envelope) => ({
          name: RECORDER,
          data: { subscriber: RECORDER, envelope } satisfies DeliveryJobData,
          opts: { jobId: `${envelope.id}-${RECORDER}-copy-${copy}` },
        })),
      );
    }
    await eventually(async () =>
      expect(await metricValue('outbox_duplicates_skipped_total', { subscriber: RECORDER })).toBe(before + 40),
    );
    expect(await effectCounts(dataSource, RECORDER)).toEqual({ rows: 20, distinct: 20 });
  });

  it('retries a transient failure with backoff and then succeeds once', async () => {
    faults.recorder.failuresLeft = 2;
    const [event] = await appendThings(dataSource, writer, 1, { aggregateId: 'flaky' });
    await eventually(async () => expect((await ledger(event.id)).state).toBe('handled'));
    expect(faults.recorder.calls).toBe(3);
    expect((await ledger(event.id)).attempts).toBe(3);
    expect(await effectCounts(dataSource, RECORDER)).toEqual({ rows: 1, distinct: 1 });
  });

  it('dead-letters a poison payload at once, without retries', async () => {
    // A row written around the writer, as a bad upcaster or manual insert would.
    const id = '01900000-0000-7000-8000-000000000001';
    await dataSource.query(
      `INSERT INTO outbox_message (id, type, version, aggregate_type, aggregate_id, aggregate_seq, occurred_at, correlation_id, payload)
       VALUES ($1, 'testing.thing-happened', 1, 'thing', 'poison', 1, now(), 'corr-poison', '{"key": 42}')`,
      [id],
    );
    await dataSource.query(`SELECT pg_notify('outbox_message', '')`);
    await eventually(async () => expect((await ledger(id))?.state).toBe('dead'));
    const [letter] = await dataSource.query(`SELECT * FROM outbox_dead_letter WHERE event_id = $1`, [id]);
    expect(letter).toMatchObject({
      subscriber: RECORDER,
      reason: 'non-retryable',
      error_class: 'InvalidEventPayloadError',
      attempts: 1,
    });
    expect(faults.recorder.calls).toBe(0);
    const job = await t.app.get(LaneQueues).queue('critical').getJob(`${id}-${RECORDER}`);
    expect(await job?.getState()).toBe('failed');
    expect(job?.attemptsMade).toBe(1);
  });

  it('sends a non-retryable error class straight to dead letters', async () => {
    faults.recorder.failuresLeft = 1;
    faults.recorder.error = () => new ThingRejectedError('rejected for good');
    const [event] = await appendThings(dataSource, writer, 1, { aggregateId: 'rejected' });
    await eventually(async () => expect((await ledger(event.id)).state).toBe('dead'));
    expect(faults.recorder.calls).toBe(1);
    const [letter] = await dataSource.query(`SELECT * FROM outbox_dead_letter WHERE event_id = $1`, [event.id]);
    expect(letter).toMatchObject({
      reason: 'non-retryable',
      error_class: 'ThingRejectedError',
      error_message: 'rejected for good',
    });
  });

  it('dead-letters after the last attempt, then a replay after the fix handles it once', async () => {
    faults.recorder.failuresLeft = 100;
    faults.recorder.error = () => new Error('downstream is down');
    const [event] = await appendThings(dataSource, writer, 1, { aggregateId: 'exhausted' });
    await eventually(async () => expect((await ledger(event.id)).state).toBe('dead'));
    expect(faults.recorder.calls).toBe(recorderSubscription.retry.attempts);
    const [letter] = await dataSource.query(`SELECT * FROM outbox_dead_letter WHERE event_id = $1`, [event.id]);
    expect(letter).toMatchObject({
      reason: 'exhausted',
      attempts: 3,
      status: 'dead',
      error_message: 'downstream is down',
    });

    const listed = await request(t.url)
      .get(`/admin/dead-letters?subscriber=${RECORDER}&error=downstream`)
      .set('Authorization', admin);
    expect(listed.status).toBe(200);
    expect(listed.body.items.map((d: { eventId: string }) => d.eventId)).toContain(event.id);

    faults.recorder.reset();
    const replay = await request(t.url).post(`/admin/dead-letters/${letter.id}/replay`).set('Authorization', admin);
    expect(replay.status).toBe(202);
    expect(replay.body).toEqual({ replayed: 1 });
    await eventually(async () => expect((await ledger(event.id)).state).toBe('handled'));
    expect(await effectCounts(dataSource, RECORDER)).toEqual({ rows: 1, distinct: 1 });

    const again = await request(t.url).post(`/admin/dead-letters/${letter.id}/replay`).set('Authorization', admin);
    expect(again.body).toEqual({ replayed: 0 });
    await consistently(async () => expect(await effectCounts(dataSource, RECORDER)).toEqual({ rows: 1, distinct: 1 }), {
      within: 300,
    });
  });

  it('replays in bulk by filter', async () => {
    faults.recorder.failuresLeft = 1000;
    faults.recorder.error = () => new ThingRejectedError('bulk-failure-marker');
    const events = await appendThings(dataSource, writer, 5, { aggregateId: 'bulk-replay' });
    await eventually(async () => {
      const [{ n }] = await dataSource.query(
        `SELECT count(*)::int AS n FROM outbox_dead_letter WHERE status = 'dead' AND event_id = ANY($1)`,
        [events.map((e) => e.id)],
      );
      expect(n).toBe(5);
    });
    faults.recorder.reset();
    const res = await request(t.url)
      .post('/admin/dead-letters/replay')
      .set('Authorization', admin)
      .send({ subscriber: RECORDER, error: 'bulk-failure-marker' });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ replayId: expect.any(String), matched: 5, replayed: 5 });
    await eventually(async () => expect((await effectCounts(dataSource, RECORDER)).rows).toBe(5));
  });

  it('reports the outbox state to admins', async () => {
    const res = await request(t.url).get('/admin/outbox').set('Authorization', admin);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      pending: expect.any(Number),
      oldestPendingAgeSeconds: expect.any(Number),
      deliveriesNotDone: expect.any(Number),
      deadLetters: expect.any(Number),
    });
    const citizen = await request(t.url)
      .get('/admin/outbox')
      .set('Authorization', `Bearer ${t.token({ sub: 'c', roles: ['citizen'] })}`);
    expect(citizen.status).toBe(403);
  });

  it('serves Bull Board to admins only: admin token or Basic credentials', async () => {
    expect((await request(t.url).get('/admin/queues')).status).toBe(401);
    const citizen = await request(t.url)
      .get('/admin/queues')
      .set('Authorization', `Bearer ${t.token({ sub: 'c', roles: ['citizen'] })}`);
    expect(citizen.status).toBe(403);
    expect((await request(t.url).get('/admin/queues').auth('ops', 'wrong')).status).toBe(401);
    expect((await request(t.url).get('/admin/queues').set('Authorization', admin)).status).toBe(200);
    const basic = await request(t.url).get('/admin/queues/api/queues').auth('ops', 'board-password');
    expect(basic.status).toBe(200);
    const names = basic.body.queues.map((q: { name: string }) => q.name).sort();
    expect(names).toEqual(['bulk', 'critical', 'default', 'maintenance']);
  });
});
