import { Injectable } from '@nestjs/common';
import { register } from 'prom-client';
import { DataSource, type EntityManager } from 'typeorm';
import { LaneQueues } from '../../src/outbox/testing.js';
import {
  type Envelope,
  type EventHandler,
  HandlesEvents,
  NonRetryableError,
  OutboxWriter,
  subscribe,
} from '../../src/outbox/index.js';
import { eventually } from '../support/eventually.js';
import { appendThings, ThingHappened, type ThingPayload, withAppCatalogue } from '../support/outbox-fixtures.js';
import { useTestApp } from '../support/scenario.js';

/** A default-lane subscriber that opts into group commit and records the transaction of each effect. */
const groupedSubscription = subscribe(ThingHappened, {
  name: 'testing.grouped-recorder',
  module: 'testing',
  lane: 'default',
  groupCommit: true,
  retry: { attempts: 3, backoffMs: 20, jitter: 0.5 },
});

const control = { poisonN: -1, flakyN: -1, flakyFailures: 0, calls: 0 };

@Injectable()
@HandlesEvents(groupedSubscription)
class GroupedRecorder implements EventHandler<ThingPayload> {
  async handle(event: Envelope<ThingPayload>, tx: EntityManager): Promise<void> {
    control.calls += 1;
    if (event.payload.n === control.poisonN) throw new NonRetryableError(`poison ${event.payload.n}`);
    if (event.payload.n === control.flakyN && control.flakyFailures > 0) {
      control.flakyFailures -= 1;
      throw new Error(`transient ${event.payload.n}`);
    }
    await tx.query(`INSERT INTO test_grouped (event_id, n, tx) VALUES ($1, $2, txid_current())`, [
      event.id,
      event.payload.n,
    ]);
  }
}

describe('outbox delivery: group commit', () => {
  const t = useTestApp({
    catalogue: withAppCatalogue([ThingHappened], [groupedSubscription]),
    providers: [GroupedRecorder],
    env: { OUTBOX_RELAY_POLL_INTERVAL_MS: '50' },
  });
  let dataSource: DataSource;
  let writer: OutboxWriter;

  beforeAll(async () => {
    dataSource = t.app.get(DataSource);
    writer = t.app.get(OutboxWriter);
    await dataSource.query(
      `CREATE TABLE test_grouped (event_id uuid NOT NULL, n integer NOT NULL, tx bigint NOT NULL)`,
    );
  });
  beforeEach(async () => {
    Object.assign(control, { poisonN: -1, flakyN: -1, flakyFailures: 0, calls: 0 });
    await dataSource.query('TRUNCATE test_grouped');
  });

  const effects = async (ids: string[]) =>
    (
      await dataSource.query(
        `SELECT count(*)::int AS rows, count(DISTINCT event_id)::int AS distinct, count(DISTINCT tx)::int AS transactions
         FROM test_grouped WHERE event_id = ANY($1::uuid[])`,
        [ids],
      )
    )[0] as { rows: number; distinct: number; transactions: number };

  const states = async (ids: string[]) =>
    Object.fromEntries(
      (
        await dataSource.query(
          `SELECT state, count(*)::int AS n FROM outbox_delivery WHERE subscriber = $1 AND event_id = ANY($2::uuid[]) GROUP BY state`,
          [groupedSubscription.name, ids],
        )
      ).map((row: { state: string; n: number }) => [row.state, row.n]),
    );

  it('handles events delivered together in shared transactions, each exactly once, with its inbox row and ledger mark', async () => {
    const events = await appendThings(dataSource, writer, 200, { aggregateId: 'grouped' });
    const ids = events.map((e) => e.id);
    await eventually(async () => expect((await effects(ids)).rows).toBe(200));
    const seen = await effects(ids);
    expect(seen).toMatchObject({ rows: 200, distinct: 200 });
    // Grouped: fewer transactions than events (the lane's concurrency is 8, so up to 8 per group).
    expect(seen.transactions).toBeLessThan(200);
    expect(seen.transactions).toBeGreaterThanOrEqual(200 / 8);
    expect(await states(ids)).toEqual({ handled: 200 });
    const [{ inbox }] = await dataSource.query(
      `SELECT count(*)::int AS inbox FROM outbox_inbox WHERE subscriber = $1 AND event_id = ANY($2::uuid[])`,
      [groupedSubscription.name, ids],
    );
    expect(inbox).toBe(200);
  });

  it('rolls a group back when one handler fails, then handles each member alone: only the poison dead-letters', async () => {
    control.poisonN = 7;
    const events = await appendThings(dataSource, writer, 60, { aggregateId: 'grouped-poison' });
    const ids = events.map((e) => e.id);
    const poison = events.find((e) => (e.payload as ThingPayload).n === 7)!;
    await eventually(async () => expect(await states(ids)).toEqual({ handled: 59, dead: 1 }));
    expect(await effects(ids)).toMatchObject({ rows: 59, distinct: 59 });
    const [letter] = await dataSource.query(`SELECT * FROM outbox_dead_letter WHERE event_id = $1`, [poison.id]);
    expect(letter).toMatchObject({ subscriber: groupedSubscription.name, reason: 'non-retryable', attempts: 1 });
    // The members of the poison's group ran twice (the first run rolled back), yet took effect once.
    expect(control.calls).toBeGreaterThan(60);
  });

  it('retries a transient failure of one member alone, with no double effect for the others', async () => {
    // Fails its group's run and its run alone: only then is it a failed attempt, retried with backoff.
    control.flakyN = 3;
    control.flakyFailures = 2;
    const events = await appendThings(dataSource, writer, 40, { aggregateId: 'grouped-flaky' });
    const ids = events.map((e) => e.id);
    await eventually(async () => expect(await states(ids)).toEqual({ handled: 40 }));
    expect(await effects(ids)).toMatchObject({ rows: 40, distinct: 40 });
    const flaky = events.find((e) => (e.payload as ThingPayload).n === 3)!;
    const [row] = await dataSource.query(
      `SELECT attempts, last_error FROM outbox_delivery WHERE event_id = $1 AND subscriber = $2`,
      [flaky.id, groupedSubscription.name],
    );
    expect(row.attempts).toBeGreaterThanOrEqual(2);
    expect(control.flakyFailures).toBe(0);
    expect(row.last_error).toMatch(/transient 3/);
  });

  it('skips and counts duplicates delivered in a group without running the handler', async () => {
    const events = await appendThings(dataSource, writer, 20, { aggregateId: 'grouped-dup' });
    const ids = events.map((e) => e.id);
    await eventually(async () => expect((await effects(ids)).rows).toBe(20));
    const duplicatesBefore = await duplicateCount();
    const callsBefore = control.calls;
    // The same deliveries again, under new job ids (as a replay would), all at once.
    await t.app
      .get(LaneQueues)
      .queue('default')
      .addBulk(
        events.map((envelope) => ({
          name: groupedSubscription.name,
          data: { subscriber: groupedSubscription.name, envelope },
          opts: { jobId: `${envelope.id}-again` },
        })),
      );
    await eventually(async () => expect((await duplicateCount()) - duplicatesBefore).toBe(20));
    expect(control.calls).toBe(callsBefore);
    expect(await effects(ids)).toMatchObject({ rows: 20, distinct: 20 });
  });

  it('dead-letters tampered copies that share a group with genuine deliveries, and commits the genuine ones', async () => {
    const events = await appendThings(dataSource, writer, 10, { aggregateId: 'grouped-forged' });
    const ids = events.map((e) => e.id);
    await eventually(async () => expect((await effects(ids)).rows).toBe(10));
    const callsBefore = control.calls;
    // The lane waits while fresh genuine jobs and tampered copies of handled events (same ids, other
    // n) queue up, so the worker takes them together, into the same groups.
    const queue = t.app.get(LaneQueues).queue('default');
    await queue.pause();
    const fresh = await appendThings(dataSource, writer, 5, { aggregateId: 'grouped-forged-fresh' });
    await eventually(async () => {
      for (const e of fresh) expect(await queue.getJob(`${e.id}-${groupedSubscription.name}`)).toBeTruthy();
    });
    await queue.addBulk(
      events.map((envelope) => ({
        name: groupedSubscription.name,
        data: {
          subscriber: groupedSubscription.name,
          envelope: { ...envelope, payload: { ...(envelope.payload as ThingPayload), n: 1000 } },
        },
        opts: { jobId: `${envelope.id}-tampered` },
      })),
    );
    await queue.resume();
    await eventually(async () => {
      const [{ n }] = await dataSource.query(
        `SELECT count(*)::int AS n FROM outbox_dead_letter WHERE event_id = ANY($1) AND subscriber = $2 AND reason = 'forged'`,
        [ids, groupedSubscription.name],
      );
      expect(n).toBe(10);
      expect((await effects(fresh.map((e) => e.id))).rows).toBe(5);
    });
    // Only the five genuine deliveries ran the handler; the originals' effects are unchanged.
    expect(control.calls - callsBefore).toBe(5);
    expect(await effects(ids)).toMatchObject({ rows: 10, distinct: 10 });
    const [{ n: tampered }] = await dataSource.query(`SELECT count(*)::int AS n FROM test_grouped WHERE n >= 1000`);
    expect(tampered).toBe(0);
  });

  it('refuses group commit for an ordered subscriber', () => {
    expect(() =>
      subscribe(ThingHappened, { name: 'testing.both', module: 'testing', ordered: true, groupCommit: true }),
    ).toThrow(/groupCommit cannot be combined with ordered/);
  });
});

async function duplicateCount(): Promise<number> {
  const metric = await register.getSingleMetric('outbox_duplicates_skipped_total')?.get();
  return metric?.values.find((v) => v.labels.subscriber === groupedSubscription.name)?.value ?? 0;
}
