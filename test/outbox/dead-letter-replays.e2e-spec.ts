import request from 'supertest';
import { DataSource } from 'typeorm';
import { OutboxDeadLetterReplays1795200002100 } from '../../migrations/1795200002100-outbox-dead-letter-replays.js';
import { OutboxWriter } from '../../src/outbox/index.js';
import { eventually } from '../support/eventually.js';
import {
  appendThings,
  createEffectTable,
  faults,
  outboxTestSetup,
  recorderSubscription,
  ThingRejectedError,
} from '../support/outbox-fixtures.js';
import { useTestApp } from '../support/scenario.js';

const RECORDER = recorderSubscription.name;

/** Safer bulk replays (issue 15, point 8): a filter or `all`, a cap, and an audit of who replayed what. */
describe('bulk dead-letter replays: refused without a filter, capped, audited', () => {
  const t = useTestApp({
    ...outboxTestSetup([recorderSubscription]),
    env: { OUTBOX_RELAY_POLL_INTERVAL_MS: '50' },
  });
  let dataSource: DataSource;
  let writer: OutboxWriter;
  let admin: string;

  beforeAll(async () => {
    dataSource = t.app.get(DataSource);
    writer = t.app.get(OutboxWriter);
    admin = `Bearer ${t.token({ sub: 'ops-alice', roles: ['admin'] })}`;
    await createEffectTable(dataSource);
  });
  beforeEach(() => faults.recorder.reset());

  const replay = (body: unknown, authorization = admin) =>
    request(t.url)
      .post('/admin/dead-letters/replay')
      .set('Authorization', authorization)
      .send(body as object);
  const audit = (query = '') => request(t.url).get(`/admin/dead-letters/replays${query}`).set('Authorization', admin);
  const states = async (eventIds: string[]) =>
    (
      await dataSource.query(
        `SELECT state, count(*)::int AS n FROM outbox_delivery WHERE event_id = ANY($1) AND subscriber = $2 GROUP BY state`,
        [eventIds, RECORDER],
      )
    ).reduce((all: Record<string, number>, row: { state: string; n: number }) => ({ ...all, [row.state]: row.n }), {});
  const deadCount = async () =>
    (await dataSource.query(`SELECT count(*)::int AS n FROM outbox_dead_letter WHERE status = 'dead'`))[0].n as number;

  /** `count` events of `aggregateId` whose deliveries end as dead letters (a non-retryable error). */
  async function deadLetters(aggregateId: string, count: number, marker: string): Promise<string[]> {
    faults.recorder.failuresLeft = count;
    faults.recorder.error = () => new ThingRejectedError(marker);
    const events = await appendThings(dataSource, writer, count, { aggregateId });
    const ids = events.map((e) => e.id);
    await eventually(async () => expect(await states(ids)).toEqual({ dead: count }));
    faults.recorder.reset();
    return ids;
  }

  it('refuses a replay with no filter unless it says "all": true, and replays nothing', async () => {
    await deadLetters('refused', 2, 'refused-marker');
    const before = await deadCount();
    for (const body of [{}, { all: false }, { limit: 5 }, { error: '' }, { subscriber: '' }]) {
      const res = await replay(body);
      expect({ body, status: res.status }).toEqual({ body, status: 400 });
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({ type: '/problems/validation-failed', status: 400 });
    }
    const bare = await replay({});
    expect(bare.body.errors).toEqual([{ field: 'all', message: expect.stringContaining('"all": true') }]);
    // "all" with a filter is ambiguous: refused too.
    const both = await replay({ all: true, subscriber: RECORDER });
    expect(both.status).toBe(400);
    expect(both.body.errors).toEqual([{ field: 'all', message: expect.any(String) }]);
    expect(await deadCount()).toBe(before);
    expect((await audit()).body.items).toEqual([]);
  });

  it('validates the cap: an integer from 1 to 10,000', async () => {
    for (const limit of [0, -1, 10_001, 1.5, '10', true]) {
      const res = await replay({ subscriber: RECORDER, limit });
      expect({ limit, status: res.status }).toEqual({ limit, status: 400 });
      expect(new Set(res.body.errors.map((e: { field: string }) => e.field))).toEqual(new Set(['limit']));
    }
    expect((await replay({ subscriber: 'nobody', limit: 10_000 })).status).toBe(202);
    // null is no cap of its own: the default one applies, never none.
    const nullLimit = await replay({ subscriber: 'nobody', limit: null, all: null });
    expect(nullLimit.status).toBe(202);
    expect((await audit('?limit=1')).body.items[0]).toMatchObject({
      id: nullLimit.body.replayId,
      limit: 1000,
      all: false,
    });
    expect((await replay({ limit: null, all: null, subscriber: null })).status).toBe(400);
  });

  it('caps a replay at `limit`, reports matched and replayed, and a second replay takes the rest', async () => {
    const ids = await deadLetters('capped', 5, 'capped-marker');

    const first = await replay({ error: 'capped-marker', limit: 2 });
    expect(first.status).toBe(202);
    expect(first.body).toEqual({ replayId: expect.any(String), matched: 5, replayed: 2 });
    await eventually(async () => expect(await states(ids)).toEqual({ handled: 2, dead: 3 }));

    const rest = await replay({ error: 'capped-marker' });
    expect(rest.body).toEqual({ replayId: expect.any(String), matched: 3, replayed: 3 });
    await eventually(async () => expect(await states(ids)).toEqual({ handled: 5 }));
    const [{ n }] = await dataSource.query(`SELECT count(*)::int AS n FROM test_effect WHERE event_id = ANY($1)`, [
      ids,
    ]);
    expect(n).toBe(5);

    const none = await replay({ error: 'capped-marker' });
    expect(none.body).toEqual({ replayId: expect.any(String), matched: 0, replayed: 0 });
  });

  it('replays every dead letter with "all": true, still capped, 1,000 by default', async () => {
    const ids = await deadLetters('all', 3, 'all-marker');
    const dead = await deadCount();
    expect(dead).toBeGreaterThanOrEqual(3);

    const res = await replay({ all: true });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ replayId: expect.any(String), matched: dead, replayed: dead });
    await eventually(async () => expect(await states(ids)).toEqual({ handled: 3 }));
    const [row] = (await audit('?limit=1')).body.items;
    expect(row).toMatchObject({ id: res.body.replayId, all: true, filter: {}, limit: 1000 });
  });

  it('records every bulk replay (who, when, filter, cap, matched, replayed) and lists them newest first, a page at a time', async () => {
    const ids = await deadLetters('audited', 2, 'audited-marker');
    const started = Date.now();
    const bob = `Bearer ${t.token({ sub: 'ops-bob', roles: ['admin'] })}`;
    const first = await replay({ subscriber: RECORDER, error: 'audited-marker', limit: 1 }, bob);
    const second = await replay({ type: 'testing.thing-happened', error: 'audited-marker' });
    await eventually(async () => expect(await states(ids)).toEqual({ handled: 2 }));

    const page1 = await audit('?limit=2');
    expect(page1.status).toBe(200);
    expect(page1.body.items).toEqual([
      {
        id: second.body.replayId,
        requestedBy: 'ops-alice',
        requestedAt: expect.any(String),
        filter: { type: 'testing.thing-happened', error: 'audited-marker' },
        all: false,
        limit: 1000,
        matched: 1,
        replayed: 1,
        finishedAt: expect.any(String),
      },
      {
        id: first.body.replayId,
        requestedBy: 'ops-bob',
        requestedAt: expect.any(String),
        filter: { subscriber: RECORDER, error: 'audited-marker' },
        all: false,
        limit: 1,
        matched: 2,
        replayed: 1,
        finishedAt: expect.any(String),
      },
    ]);
    for (const item of page1.body.items) {
      expect(Date.parse(item.requestedAt)).toBeGreaterThanOrEqual(started - 5000);
      expect(Date.parse(item.finishedAt)).toBeGreaterThanOrEqual(Date.parse(item.requestedAt));
    }
    expect(page1.body.nextCursor).toEqual(expect.any(String));

    const page2 = await audit(`?limit=2&cursor=${page1.body.nextCursor}`);
    expect(page2.status).toBe(200);
    const seen = [...page1.body.items, ...page2.body.items].map((item: { id: string }) => item.id);
    expect(new Set(seen).size).toBe(seen.length);
    const [{ n }] = await dataSource.query(`SELECT count(*)::int AS n FROM outbox_dead_letter_replay`);
    expect(seen.length).toBe(Math.min(n, 4));
  });

  it('does not audit a single replay, and lets only admins see or make bulk replays', async () => {
    const [{ n: before }] = await dataSource.query(`SELECT count(*)::int AS n FROM outbox_dead_letter_replay`);
    const [id] = await deadLetters('single', 1, 'single-marker');
    const [letter] = await dataSource.query(`SELECT id FROM outbox_dead_letter WHERE event_id = $1`, [id]);
    const one = await request(t.url).post(`/admin/dead-letters/${letter.id}/replay`).set('Authorization', admin);
    expect(one.body).toEqual({ replayed: 1 });
    const [{ n: after }] = await dataSource.query(`SELECT count(*)::int AS n FROM outbox_dead_letter_replay`);
    expect(after).toBe(before);

    const citizen = `Bearer ${t.token({ sub: 'c-1', roles: ['citizen'] })}`;
    expect((await replay({ all: true }, citizen)).status).toBe(403);
    expect((await request(t.url).get('/admin/dead-letters/replays').set('Authorization', citizen)).status).toBe(403);
    expect((await request(t.url).get('/admin/dead-letters/replays')).status).toBe(401);
    expect((await audit('?cursor=not-a-cursor')).status).toBe(400);
    expect((await audit('?limit=201')).status).toBe(400);
  });

  it('has a reversible migration for the audit table', async () => {
    const rows = () => dataSource.query(`SELECT id FROM outbox_dead_letter_replay ORDER BY id`);
    const before = await rows();
    expect(before.length).toBeGreaterThan(0);
    const migration = new OutboxDeadLetterReplays1795200002100();
    const runner = dataSource.createQueryRunner();
    try {
      await runner.startTransaction();
      await migration.down(runner);
      expect(await runner.hasTable('outbox_dead_letter_replay')).toBe(false);
      await migration.up(runner);
      expect(await runner.hasTable('outbox_dead_letter_replay')).toBe(true);
    } finally {
      // Leave the table as it was, with its rows.
      await runner.rollbackTransaction();
      await runner.release();
    }
    expect(await rows()).toEqual(before);
  });
});
