/**
 * `npm run demo` against a running app, as an operator would run it against `npm run dev`: the script
 * itself (compiled with the tests) in its own process, over HTTP. Each chapter is checked by what it
 * left behind in the app, not only by the script's exit code: the happy paths done, a charge dead-
 * lettered by the gateway's refusal and replayed into a confirmed payment, the journey printed as a
 * tree, a reconciler run and its findings, a projection rebuilt to the end.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { effects } from '../support/effects.js';
import { useTestApp } from '../support/scenario.js';

const DEMO = join(process.cwd(), process.env.TEST_BUILD_DIR ?? '.test-build', 'scripts', 'demo.js');
const CHARGE = 'payments.charge-gateway-when-payment-requested';

/** Runs the demo to its end; resolves with its exit code, output and duration. */
function runDemo(url: string): Promise<{ code: number | null; stdout: string; stderr: string; seconds: number }> {
  const started = Date.now();
  const child = spawn(process.execPath, [DEMO], {
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', DEMO_URL: url },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) =>
    child.on('exit', (code) => resolve({ code, stdout, stderr, seconds: (Date.now() - started) / 1000 })),
  );
}

describe('npm run demo (scripts/demo.ts) against a running app', () => {
  const t = useTestApp();
  let db: DataSource;
  let demo: Awaited<ReturnType<typeof runDemo>>;

  beforeAll(async () => {
    db = t.app.get(DataSource);
    demo = await runDemo(t.url);
  }, 180_000);

  const admin = () => ({ Authorization: `Bearer ${t.token({ sub: 'demo-test-admin', roles: ['admin'] })}` });

  it('runs to its end within a minute', () => {
    expect({ code: demo.code, stderr: demo.stderr }).toEqual({ code: 0, stderr: '' });
    expect(demo.stdout).toMatch(/citizen cleared → licence \S+ issued/);
    expect(demo.stdout).toMatch(/order shipped at/);
    expect(demo.stdout).toMatch(/\] done\n$/);
    expect(demo.seconds).toBeLessThan(60);
  });

  it('makes a charge fail at the gateway, shows its dead letter, heals the gateway and replays it', async () => {
    const printed =
      /dead letter (\w{8}): payments\.charge-gateway-when-payment-requested after 1 attempt\(s\): GatewayRequestRejectedError: simulated gateway refused the charge request/.exec(
        demo.stdout,
      );
    expect(printed).not.toBeNull();
    const letters: Array<{ id: string; status: string; replay_count: number; payment_id: string }> = await db.query(
      `SELECT d.id, d.status, d.replay_count, e.payload->>'paymentId' AS payment_id
         FROM outbox_dead_letter d JOIN outbox_event e ON e.id = d.event_id
        WHERE d.subscriber = $1`,
      [CHARGE],
    );
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ status: 'replayed', replay_count: 1 });
    expect(letters[0].id.slice(-8)).toBe(printed![1]);
    expect(await effects(t).payment(letters[0].payment_id)).toMatchObject({ status: 'confirmed', amount: 7500 });
    expect(demo.stdout).toMatch(/payment \w{8} still pending; debt \w{8} still 75 SAR outstanding/);
    expect(demo.stdout).toMatch(/payment \w{8} confirmed after the replay/);
    // The demo put the simulator back as it found it.
    const simulator = await fetch(`${t.url}/admin/gateway-simulator`, { headers: admin() });
    expect(((await simulator.json()) as { faults: { rejectRate: number } }).faults.rejectRate).toBe(0);
  });

  it('prints that payment’s journey as a tree: the replayed charge, then what the confirmation caused', () => {
    // The tree is printed indented under the step that announces it; the findings list follows it.
    const lines = demo.stdout.split('\n');
    const from = lines.findIndex((line) => line.includes('── the message journey of payment'));
    const to = lines.findIndex((line, i) => i > from && line.startsWith('['));
    const tree = lines.slice(from + 1, to);
    expect(tree.length).toBeGreaterThan(3);
    expect(tree.every((line) => line.startsWith(' '.repeat(11)))).toBe(true);
    const root = tree.findIndex((line) => /^ {11}payments\.payment-requested v1/.test(line));
    expect(root).toBeGreaterThanOrEqual(0);
    const charge = tree.find((line) => line.includes(`✓ ${CHARGE}`));
    expect(charge).toMatch(/dead letter \w{8} \S+, replayed ×1/);
    // Deeper and deeper: the confirmation under the request, the settlement under the confirmation.
    const depth = (pattern: RegExp) => {
      const line = tree.find((l) => pattern.test(l));
      expect(line).toBeDefined();
      return line!.search(/[a-z]/);
    };
    const confirmed = depth(/[├└]─ payments\.payment-confirmed v1/);
    const settled = depth(/[├└]─ debts\.debt-settled v1/);
    expect(confirmed).toBeGreaterThan(tree[root].search(/[a-z]/));
    expect(settled).toBeGreaterThan(confirmed);
  });

  it('runs a reconciler and prints its findings', async () => {
    const [run] = await db.query(
      `SELECT id, status, findings FROM reconciliation_run
        WHERE reconciler = 'payments-ledger-matches-payments' AND trigger = 'manual'`,
    );
    expect(run).toMatchObject({ status: 'succeeded' });
    expect(demo.stdout).toContain(`run ${String(run.id).slice(-8)} succeeded`);
    expect(demo.stdout).toMatch(/findings of this run: none|finding \w{8} \[/);
    expect(demo.stdout).toMatch(/latest findings of every reconciler/);
  });

  it('rebuilds a projection to the end, printing its progress in ledger entries', async () => {
    const projection = await fetch(`${t.url}/admin/projections/citizen-balances`, { headers: admin() });
    expect(projection.status).toBe(200);
    const { rebuild } = (await projection.json()) as {
      rebuild: { id: string; status: string; progress: { done: number; total: number | null } } | null;
    };
    expect(rebuild?.status).toBe('succeeded');
    const total = Number(rebuild!.progress.total);
    expect(total).toBeGreaterThan(0);
    expect(demo.stdout).toContain(
      `rebuild ${String(rebuild!.id).slice(-8)} → version 2: ${total.toLocaleString('en')} / ${total.toLocaleString('en')} ledger entries (100%), succeeded`,
    );
    expect(demo.stdout).toMatch(/live version 1 → 2/);
    expect(demo.stdout).toMatch(/totalOutstanding 0 SAR, read from the rebuilt projection/);
  });
});
