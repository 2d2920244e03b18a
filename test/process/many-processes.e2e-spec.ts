import pg from 'pg';
import { examine } from '../../scripts/drill/invariants.js';
import { Load, setUpCatalogue } from '../../scripts/drill/load.js';
import { loadConfig } from '../../src/config/index.js';
import { type AppProcess, freePort, ORDERED_MAIN, spawnApp } from '../support/app-process.js';
import { eventually } from '../support/eventually.js';
import { redisSuite } from '../support/suite-backends.js';
import { isolate, type TestIsolation } from '../support/test-env.js';
import { pace } from '../support/pace.js';

/**
 * Several processes per role on one database and one Redis (docs/scaling.md): 3 × api, 3 × relay,
 * 3 × worker, 2 × scheduler, each its own process with its own `APP_ROLES`. Debt-payment and order
 * flows go over HTTP, round-robin to the api processes; meanwhile one process of each role is
 * stopped with SIGTERM. Meanwhile too, events of an ordered subscriber (the test catalogue's
 * `testing.ordered-recorder`, which every process carries: test/support/ordered-main.ts) are appended
 * for a dozen aggregates, each handling slowed so deliveries of one aggregate overlap across the three
 * workers. Afterwards, from the database: the drill's invariants (every event handled, each payment,
 * ledger entry and reservation once in effect), each aggregate's ordered events handled once each in
 * `aggregateSeq` order, every scheduled slot of every task run once however many schedulers there
 * are, and each stopped process exited cleanly.
 *
 * On Redis whatever TEST_QUEUE_BACKEND says: on BullMQ's PostgreSQL backend each process also keeps a
 * queue pool with a LISTEN connection per worker, and eleven processes beside another suite pass the
 * test server's default max_connections of 100 (docs/scaling.md, connection budgets).
 */
const describeOnRedis = await redisSuite(import.meta.url);
type Role = 'api' | 'relay' | 'worker' | 'scheduler';
const TOPOLOGY: Array<[Role, number]> = [
  ['api', 3],
  ['relay', 3],
  ['worker', 3],
  ['scheduler', 2],
];
const STARTED = 'Nest application successfully started';
const ORDERED_AGGREGATES = 12;
const ORDERED_ROUNDS = 12;
const ORDERED_PER_ROUND = 3;
const INITIAL_ON_HAND = 1_000_000;
const SKUS = ['mp-kettle', 'mp-mug'];
const LOCATIONS = [
  { id: 'riyadh-store', kind: 'store', lat: 24.71, lon: 46.68, handling: 400 },
  { id: 'dammam-warehouse', kind: 'warehouse', lat: 26.42, lon: 50.09, handling: 150 },
];

interface Instance {
  name: string;
  role: Role;
  url?: string;
  app: AppProcess;
  inRotation: boolean;
}

describeOnRedis('many processes per role on one database and Redis', () => {
  let isolation: TestIsolation;
  let db: pg.Pool;
  const instances: Instance[] = [];

  /** Spawns the process and records it at once (so afterAll stops it whatever happens), then waits for it. */
  const launch = async (role: Role, name: string, env: Record<string, string>): Promise<void> => {
    const port = await freePort();
    const app = spawnApp({ ...env, APP_ROLES: role, PORT: String(port) }, ORDERED_MAIN);
    const instance: Instance = { name, role, app, inRotation: false };
    instances.push(instance);
    // Eleven cold starts share the machine's cores: readiness gets longer than one app's start.
    await eventually(
      async () => {
        if (app.child.exitCode !== null) throw new Error(`${name} exited early:\n${app.output()}`);
        if (role === 'api') {
          const response = await fetch(`http://127.0.0.1:${port}/health/ready`);
          expect(response.status).toBe(200);
        } else {
          expect(app.output()).toContain(STARTED);
        }
      },
      { timeoutMs: 180_000, intervalMs: 250 },
    );
    if (role === 'api') instance.url = `http://127.0.0.1:${port}`;
    instance.inRotation = true;
  };

  const stop = async (instance: Instance): Promise<number | string> => {
    instance.inRotation = false;
    if (instance.app.child.exitCode === null) instance.app.child.kill('SIGTERM');
    return instance.app.exited;
  };

  beforeAll(async () => {
    isolation = await isolate();
    db = new pg.Pool({ connectionString: isolation.databaseUrl, max: 3 });
    const env = {
      ...isolation.env,
      LOG_LEVEL: 'info',
      RATE_LIMIT_PER_MINUTE: '1000000',
      // Short schedules, so both schedulers compete for many slots during the test.
      OUTBOX_SWEEP_INTERVAL_MS: '1000',
      OUTBOX_RETENTION_INTERVAL_MS: '2000',
      RECONCILIATION_INTERVAL_MS: '2000',
      PRUNE_INTERVAL_MS: '2000',
      // A small pool each: 11 processes share the test server's max_connections with other suites.
      DB_POOL_SIZE: '4',
      ROUTING_SOLVER_THREADS: '1',
      // Each ordered handling takes this long, so one aggregate's deliveries overlap across workers.
      TEST_ORDERED_DELAY_MS: '5',
      // A delivery that arrived before its predecessor re-checks this often (default 250 ms): the
      // ordered events of a dozen aggregates then drain within the test's budget on a busy machine.
      OUTBOX_SEQUENCE_RECHECK_MS: '50',
    };
    // The first api applies the migrations; the rest start together.
    await launch('api', 'api-1', env);
    // What the ordered subscriber writes (test/support/ordered-main.ts), before any event exists.
    await db.query(`CREATE TABLE ordered_effect (
      order_no bigserial PRIMARY KEY, event_id uuid NOT NULL, aggregate_id text NOT NULL,
      seq bigint NOT NULL, handled_by text NOT NULL)`);
    const rest = TOPOLOGY.flatMap(([role, count]) =>
      Array.from({ length: count }, (_, i) => ({ role, name: `${role}-${i + 1}` })),
    ).filter(({ name }) => name !== 'api-1');
    await Promise.all(rest.map(({ role, name }) => launch(role, name, env)));
  }, 400_000);

  afterAll(async () => {
    await Promise.all(instances.map((i) => stop(i)));
    await db?.end();
    await isolation?.dispose();
  }, 60_000);

  it('handles every flow once in effect, runs each scheduled slot once, and loses nothing to a SIGTERM per role', async () => {
    const config = loadConfig(isolation.env);
    const load = new Load(
      config.authJwtSecret,
      () => instances.filter((i) => i.inRotation && i.url).map((i) => i.url!),
      db,
    );
    await setUpCatalogue(load, { admin: 'mp-admin', skus: SKUS, locations: LOCATIONS, onHand: INITIAL_ON_HAND });

    const started = Date.now();
    let stopped: Array<Promise<[string, number | string]>> = [];
    const running = load.run({ rate: 10, orderEvery: 4, skus: SKUS, maxInFlight: 16 }, 60, () => true);
    // Ordered events, through api-1 (never stopped: a failed append here is a failure, not a retry).
    const appended = new Map<string, number[]>();
    const appending = (async () => {
      const api1 = instances.find((i) => i.name === 'api-1')!.url!;
      for (let round = 0; round < ORDERED_ROUNDS; round++) {
        await Promise.all(
          Array.from({ length: ORDERED_AGGREGATES }, async (_, a) => {
            const aggregateId = `ordered-${a}`;
            const response = await fetch(`${api1}/testing/things`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ aggregateId, startN: round * ORDERED_PER_ROUND, count: ORDERED_PER_ROUND }),
            });
            expect(response.status).toBe(201);
            const { seqs } = (await response.json()) as { seqs: number[] };
            appended.set(aggregateId, [...(appended.get(aggregateId) ?? []), ...seqs]);
          }),
        );
        await pace(300); // load pacing: a round every 300 ms, not a wait for an effect
      }
    })();
    // Under load: one process of each role asked to stop, as a rolling deploy does.
    await eventually(() => expect(load.attempts.length).toBeGreaterThan(40), { timeoutMs: 60_000, intervalMs: 100 });
    stopped = (['api', 'relay', 'worker', 'scheduler'] as Role[]).map(async (role) => {
      const instance = instances.find((i) => i.name === `${role}-2`)!;
      return [instance.name, await stop(instance)] as [string, number | string];
    });
    const totals = await running;
    const exits = await Promise.all(stopped);
    await appending;

    expect(totals.abandoned).toEqual([]);
    expect(Object.fromEntries(exits)).toEqual({ 'api-2': 0, 'relay-2': 0, 'worker-2': 0, 'scheduler-2': 0 });

    // Every event handled, each effect once: the drill's invariants, read from the database; and every
    // delivery handled exactly once, one inbox row each. Checked together until both hold: the
    // scheduler can still append events after the load has stopped (a reconciler that heals).
    let last = await examine(db, undefined, { skus: SKUS, initialOnHand: INITIAL_ON_HAND });
    let handled = 0;
    await eventually(
      async () => {
        last = await examine(db, undefined, { skus: SKUS, initialOnHand: INITIAL_ON_HAND });
        expect(last.violations).toEqual([]);
        expect(last.pending).toEqual([]);
        // What is not handled, with its dead letter if any: a failure names the deliveries and why.
        const { rows: notHandled } = await db.query(
          `SELECT d.subscriber, d.state, d.attempts, d.last_error, l.status AS dead_letter, l.reason
             FROM outbox_delivery d
             LEFT JOIN outbox_dead_letter l ON l.event_id = d.event_id AND l.subscriber = d.subscriber
            WHERE d.state <> 'handled'`,
        );
        expect(notHandled).toEqual([]);
        const { rows: deliveries } = await db.query<{ handled: string; inboxless: string }>(
          `SELECT count(*) AS handled,
                  count(*) FILTER (WHERE NOT EXISTS (
                    SELECT 1 FROM outbox_inbox i WHERE i.subscriber = d.subscriber AND i.event_id = d.event_id)) AS inboxless
             FROM outbox_delivery d WHERE state = 'handled'`,
        );
        expect(deliveries[0]!.inboxless).toBe('0');
        handled = Number(deliveries[0]!.handled);
      },
      { timeoutMs: 120_000, intervalMs: 500 },
    );
    expect(last.payments.confirmed ?? 0).toBeGreaterThan(0);
    expect(handled).toBeGreaterThan(100);

    // The ordered subscriber: each aggregate's events handled once each, in the order they were
    // appended (order_no is the order of the handlings' inserts), whichever worker took them.
    const { rows: ordered } = await db.query<{ aggregate_id: string; seqs: string[] }>(
      `SELECT aggregate_id, array_agg(seq ORDER BY order_no) AS seqs FROM ordered_effect GROUP BY aggregate_id`,
    );
    const handledInOrder = Object.fromEntries(ordered.map((r) => [r.aggregate_id, r.seqs.map(Number)]));
    const expected = Object.fromEntries([...appended].map(([id, seqs]) => [id, [...seqs].sort((x, y) => x - y)]));
    expect(Object.keys(expected)).toHaveLength(ORDERED_AGGREGATES);
    expect(expected['ordered-0']).toHaveLength(ORDERED_ROUNDS * ORDERED_PER_ROUND);
    expect(handledInOrder).toEqual(expected);
    // The workers shared the ordered work, aggregates too: the order did not come from one worker doing it all.
    const { rows: spread } = await db.query<{ workers: string; aggregates_shared: string }>(
      `SELECT (SELECT count(DISTINCT handled_by) FROM ordered_effect) AS workers,
              (SELECT count(*) FROM (SELECT aggregate_id FROM ordered_effect GROUP BY aggregate_id
                                      HAVING count(DISTINCT handled_by) > 1) shared) AS aggregates_shared`,
    );
    console.log(
      `[many-processes] ordered: ${ordered.reduce((n, r) => n + r.seqs.length, 0)} events of ${ordered.length} ` +
        `aggregates, handled by ${spread[0]!.workers} workers; ${spread[0]!.aggregates_shared} aggregates by more than one`,
    );
    expect(Number(spread[0]!.workers)).toBeGreaterThan(1);
    expect(Number(spread[0]!.aggregates_shared)).toBeGreaterThan(0);

    // Scheduled tasks: each slot ran once, whichever scheduler took it; both schedulers took some.
    const { rows: twice } = await db.query(
      `SELECT task, slot, array_agg(ran_by) AS by FROM outbox_task_run GROUP BY task, slot HAVING count(*) > 1`,
    );
    expect(twice).toEqual([]);
    const { rows: sweeps } = await db.query<{ runs: string; processes: string }>(
      `SELECT count(*) AS runs, count(DISTINCT ran_by) AS processes FROM outbox_task_run WHERE task = 'outbox-sweep' AND slot >= $1`,
      [new Date(started)],
    );
    const seconds = (Date.now() - started) / 1000;
    // One sweep a second at most: never one per scheduler process (that would be about 2 a second).
    expect(Number(sweeps[0]!.runs)).toBeGreaterThan(3);
    expect(Number(sweeps[0]!.runs)).toBeLessThanOrEqual(seconds + 2);
    // Reconcilers are scheduled tasks too (reconcile-<name>): their slots are in the check above. Their
    // windows derive from the time a run starts, so two slots may share one; the runs happened.
    const { rows: reconcilerRuns } = await db.query<{ n: string }>(
      `SELECT count(*) AS n FROM reconciliation_run WHERE trigger = 'schedule' AND status = 'succeeded'`,
    );
    expect(Number(reconcilerRuns[0]!.n)).toBeGreaterThan(0);

    // The processes still running never crashed.
    expect(instances.filter((i) => i.inRotation && i.app.child.exitCode !== null).map((i) => i.name)).toEqual([]);
  }, 240_000);
});
