import { DataSource } from 'typeorm';
import {
  LaneQueues,
  OUTBOX_OPTIONS,
  OUTBOX_PORTS,
  OutboxMetrics,
  type OutboxOptions,
  type OutboxPorts,
  Relay,
} from '../../../src/outbox/testing.js';
import { OutboxWriter } from '../../../src/outbox/index.js';
import { EventCatalogue } from '../../../src/outbox/host.js';
import { eventually } from '../../support/eventually.js';
import {
  appendThings,
  createEffectTable,
  effectCounts,
  faults,
  outboxTestSetup,
  recorderSubscription,
} from '../../support/outbox-fixtures.js';
import { useTestApp } from '../../support/scenario.js';
import { pace } from '../../support/pace.js';

const RECORDER = recorderSubscription.name;
const RELAYS = 10;
const TRANSACTIONS = 100;
const EVENTS_PER_TRANSACTION = 100;
const TOTAL = TRANSACTIONS * EVENTS_PER_TRANSACTION;
const WRITER_CHAINS = 10;

describe('chaos: many relays racing for the same outbox', () => {
  let dataSource: DataSource;

  beforeAll(() => faults.recorder.reset());
  afterAll(() => faults.recorder.reset());
  // api + worker only: the app's own relay loop stays off, the relays below are the only ones.
  const t = useTestApp({
    ...outboxTestSetup([recorderSubscription]),
    env: { APP_ROLES: 'api,worker', OUTBOX_RELAY_BATCH_SIZE: '100', LANE_CONCURRENCY_CRITICAL: '16' },
  });
  beforeAll(async () => {
    dataSource = t.app.get(DataSource);
    await createEffectTable(dataSource);
  });

  it(`relays ${TOTAL} events appended concurrently with ${RELAYS} relays, each handled exactly once`, async () => {
    const started = Date.now();
    const relays = Array.from(
      { length: RELAYS },
      () =>
        new Relay(
          t.app.get<OutboxOptions>(OUTBOX_OPTIONS),
          dataSource,
          t.app.get(EventCatalogue),
          t.app.get(LaneQueues),
          t.app.get(OutboxMetrics),
          t.app.get<OutboxPorts>(OUTBOX_PORTS),
        ),
    );
    const claimedBy = relays.map(() => 0);
    let stop = false;
    let appendedMs = 0;
    const loops = relays.map(async (relay, i) => {
      while (!stop) {
        const claimed = await relay.relayBatch();
        claimedBy[i] += claimed;
        if (claimed === 0) await pace(50); // idle poll, as the relay loop's fallback would
      }
    });

    const writer = t.app.get(OutboxWriter);
    const appended: string[] = [];
    let next = 0;
    const writers = Array.from({ length: WRITER_CHAINS }, async () => {
      for (let tx = next++; tx < TRANSACTIONS; tx = next++) {
        const events = await appendThings(dataSource, writer, EVENTS_PER_TRANSACTION, {
          aggregateId: `relay-race-${tx}`,
          startN: tx * EVENTS_PER_TRANSACTION,
        });
        appended.push(...events.map((e) => e.id));
      }
    });

    try {
      await Promise.all(writers);
      appendedMs = Date.now() - started;
      expect(appended).toHaveLength(TOTAL);
      await eventually(
        async () => {
          const [{ n }] = await dataSource.query(
            `SELECT count(*)::int AS n FROM outbox_delivery WHERE state = 'handled'`,
          );
          expect(n).toBe(TOTAL);
        },
        // A bound for correctness, not speed: alone this takes 20–40 s, but beside a suite that starts
        // eleven app processes (many-processes) on two cores it took more than 50 s in a CI run.
        { timeoutMs: 150_000, intervalMs: 200 },
      );
    } finally {
      stop = true;
      await Promise.all(loops);
    }
    const elapsedMs = Date.now() - started;
    process.stdout.write(
      `[concurrent-relays] ${TOTAL} events, ${RELAYS} relays, claims per relay ${claimedBy.join('/')}; all appended after ${appendedMs} ms, all handled after ${elapsedMs} ms\n`,
    );

    // Every row was claimed by exactly one relay, and the work was really shared among them.
    expect(claimedBy.reduce((a, b) => a + b, 0)).toBe(TOTAL);
    expect(claimedBy.filter((n) => n > 0).length).toBeGreaterThanOrEqual(2);

    expect(await effectCounts(dataSource, RECORDER)).toEqual({ rows: TOTAL, distinct: TOTAL });
    const [effectsOfAppended] = await dataSource.query(
      `SELECT count(DISTINCT event_id)::int AS n FROM test_effect WHERE event_id = ANY($1::uuid[])`,
      [appended],
    );
    expect(effectsOfAppended.n).toBe(TOTAL);
    const [{ n: left }] = await dataSource.query(`SELECT count(*)::int AS n FROM outbox_message`);
    expect(left).toBe(0);
    const [{ n: archived }] = await dataSource.query(`SELECT count(*)::int AS n FROM outbox_event`);
    expect(archived).toBe(TOTAL);
    const states = await dataSource.query(
      `SELECT state, count(*)::int AS n, sum(redrive_count)::int AS redriven FROM outbox_delivery GROUP BY state`,
    );
    expect(states).toEqual([{ state: 'handled', n: TOTAL, redriven: 0 }]);
    const [{ n: inbox }] = await dataSource.query(`SELECT count(*)::int AS n FROM outbox_inbox WHERE subscriber = $1`, [
      RECORDER,
    ]);
    expect(inbox).toBe(TOTAL);
  }, 200_000);
});
