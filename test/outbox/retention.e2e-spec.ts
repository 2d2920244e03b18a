import { DataSource } from 'typeorm';
import { Retention } from '../../src/outbox/testing.js';
import { useTestApp } from '../support/scenario.js';

describe('retention and connection safety', () => {
  const t = useTestApp({ env: { APP_ROLES: 'api', OUTBOX_DEDUPE_WINDOW_HOURS: '24' } });
  let dataSource: DataSource;

  beforeAll(async () => {
    dataSource = t.app.get(DataSource);
  });

  it('prunes inbox rows, handled deliveries and archived events older than the dedupe window, and keeps the rest', async () => {
    // 6,000 old inbox rows: more than one pruning batch.
    await dataSource.query(`
      INSERT INTO outbox_inbox (subscriber, event_id, handled_at)
      SELECT 'old-sub', gen_random_uuid(), now() - interval '25 hours' FROM generate_series(1, 6000)`);
    await dataSource.query(
      `INSERT INTO outbox_inbox (subscriber, event_id, handled_at) VALUES ('new-sub', gen_random_uuid(), now() - interval '23 hours')`,
    );
    const event = (id: string, age: string) =>
      dataSource.query(
        `INSERT INTO outbox_event (id, type, version, aggregate_type, aggregate_id, aggregate_seq, occurred_at, correlation_id, payload, relayed_at)
         VALUES ($1, 't.x', 1, 'a', 'a1', 1, now(), 'c', '{}', now() - $2::interval)`,
        [id, age],
      );
    const oldHandled = '01900000-0000-7000-8000-00000000aa01';
    const oldOpen = '01900000-0000-7000-8000-00000000aa02';
    const recent = '01900000-0000-7000-8000-00000000aa03';
    await event(oldHandled, '30 hours');
    await event(oldOpen, '30 hours');
    await event(recent, '1 hour');
    await dataSource.query(
      `INSERT INTO outbox_delivery (event_id, subscriber, lane, state, job_id, handled_at) VALUES
         ($1, 's', 'default', 'handled', 'j1', now() - interval '30 hours'),
         ($2, 's', 'default', 'enqueued', 'j2', NULL),
         ($3, 's', 'default', 'handled', 'j3', now() - interval '1 hour')`,
      [oldHandled, oldOpen, recent],
    );

    const removed = await t.app.get(Retention).prune();

    expect(removed).toEqual({ inbox: 6000, deliveries: 1, events: 1 });
    const left = async (sql: string) => Number((await dataSource.query(sql))[0].n);
    expect(await left(`SELECT count(*) AS n FROM outbox_inbox`)).toBe(1);
    const deliveries = await dataSource.query(`SELECT event_id FROM outbox_delivery ORDER BY event_id`);
    expect(deliveries.map((d: { event_id: string }) => d.event_id)).toEqual([oldOpen, recent]);
    const events = await dataSource.query(`SELECT id FROM outbox_event ORDER BY id`);
    expect(events.map((e: { id: string }) => e.id)).toEqual([oldOpen, recent]);
  });

  it('bounds every pooled connection with statement and idle-in-transaction timeouts', async () => {
    const [row] = await dataSource.query(
      `SELECT current_setting('statement_timeout') AS statement, current_setting('idle_in_transaction_session_timeout') AS idle`,
    );
    expect(row).toEqual({ statement: '30s', idle: '1min' });
    await expect(dataSource.query(`SET LOCAL statement_timeout = '50ms'; SELECT pg_sleep(1)`)).rejects.toThrow(
      /statement timeout/,
    );
  });
});
