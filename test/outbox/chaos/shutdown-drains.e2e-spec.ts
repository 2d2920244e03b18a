import pg from 'pg';
import { DataSource } from 'typeorm';
import { OutboxWriter } from '../../../src/outbox/index.js';
import { eventually } from '../../support/eventually.js';
import {
  appendThings,
  createEffectTable,
  faults,
  outboxTestSetup,
  recorderSubscription,
} from '../../support/outbox-fixtures.js';
import { startTestApp, type TestApp } from '../../support/test-app.js';
import { pace } from '../../support/pace.js';

const RECORDER = recorderSubscription.name;
/** How long the handlers stay held inside their transactions after close() has begun. */
const HOLD_AFTER_CLOSE_MS = 1000;
const ACTIVE = 3;

describe('chaos: shutdown while a slow handler is running', () => {
  let t: TestApp;
  let closed = false;
  // A connection of the test's own: it outlives the app's pool, so the ledger can be read after close().
  let observer: pg.Client;

  beforeAll(async () => {
    faults.recorder.reset();
    t = await startTestApp({
      ...outboxTestSetup([recorderSubscription]),
      env: { OUTBOX_RELAY_POLL_INTERVAL_MS: '50', LANE_CONCURRENCY_CRITICAL: '8' },
    });
    await createEffectTable(t.app.get(DataSource));
    observer = new pg.Client({ connectionString: t.isolation.databaseUrl });
    await observer.connect();
  });
  afterAll(async () => {
    faults.recorder.reset();
    await observer?.end();
    if (t && !closed) await t.close();
    else await t?.isolation.dispose();
  });

  it('app.close() (what SIGTERM runs) lets active jobs finish and commit before it resolves', async () => {
    // The handlers wait inside their transactions until released: however slowly the machine
    // starts them, none can commit before the test lets it.
    let release!: () => void;
    faults.recorder.hold = new Promise<void>((resolve) => (release = resolve));
    const events = await appendThings(t.app.get(DataSource), t.app.get(OutboxWriter), ACTIVE, {
      aggregateId: 'draining',
    });
    const ids = events.map((e) => e.id);
    // Every handler has started (and is held inside its transaction)…
    await eventually(() => expect(faults.recorder.calls).toBe(ACTIVE));
    const { rows: beforeClose } = await observer.query(
      `SELECT count(*)::int AS n FROM test_effect WHERE event_id = ANY($1::uuid[])`,
      [ids],
    );
    expect(beforeClose[0].n).toBe(0);

    // …when the app is told to stop; the handlers are released only after close() has begun.
    const closeStarted = Date.now();
    const closing = t.app.close();
    void pace(HOLD_AFTER_CLOSE_MS).then(release); // the handlers' deliberate hold, not a wait for an effect
    await closing;
    closed = true;
    const closeMs = Date.now() - closeStarted;

    // Nothing below waits: all of it had to be committed by the time close() resolved.
    const { rows: effects } = await observer.query(
      `SELECT count(*)::int AS rows, count(DISTINCT event_id)::int AS distinct FROM test_effect
       WHERE subscriber = $1 AND event_id = ANY($2::uuid[])`,
      [RECORDER, ids],
    );
    expect(effects[0]).toEqual({ rows: ACTIVE, distinct: ACTIVE });
    const { rows: ledger } = await observer.query(
      `SELECT state, count(*)::int AS n FROM outbox_delivery WHERE event_id = ANY($1::uuid[]) GROUP BY state`,
      [ids],
    );
    expect(ledger).toEqual([{ state: 'handled', n: ACTIVE }]);
    const { rows: inbox } = await observer.query(
      `SELECT count(*)::int AS n FROM outbox_inbox WHERE subscriber = $1 AND event_id = ANY($2::uuid[])`,
      [RECORDER, ids],
    );
    expect(inbox[0].n).toBe(ACTIVE);
    expect(faults.recorder.calls).toBe(ACTIVE);
    // close() really waited for the held handlers.
    expect(closeMs).toBeGreaterThanOrEqual(HOLD_AFTER_CLOSE_MS - 50);
    process.stdout.write(`[shutdown-drains] app.close() took ${closeMs} ms with ${ACTIVE} active jobs\n`);
  });
});
