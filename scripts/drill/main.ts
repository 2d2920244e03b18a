/**
 * `npm run drill` — faults against a multi-process deployment under load, and what was lost
 * (docs/reliability.md; issue 14).
 *
 * Starts its own PostgreSQL cluster and redis-server (free ports, temporary directories), the stub
 * payment provider, and the built app as separate production processes: 2 × api, 2 × relay,
 * 2 × worker, 1 × scheduler. For each scenario: drives debt payments, licence applications and
 * orders over HTTP, injects the faults, stops the load, waits for convergence and checks the
 * invariants from PostgreSQL and the provider's records. Prints one row per scenario; exits 1 on
 * any violation. Everything it started is stopped and removed on exit, error or Ctrl-C.
 *
 *   npm run drill -- [--scenario a,b] [--flows N] [--rate R] [--short] [--converge-timeout S] [--no-docs]
 *
 * --short: ~100 flows per scenario (CI). The full run writes the table to docs/reliability.md
 * unless --no-docs.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import os from 'node:os';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { startPrivateRedis } from '../../test/support/private-redis.js';
import { cleanUp, onCleanUp, requireBuilt, SECRETS, startStub } from '../../bench/flows/processes.js';
import { table } from '../../bench/stats.js';
import { Deployment, socketPorts } from './deployment.js';
import { examine, type Provider } from './invariants.js';
import { Load, setUpCatalogue } from './load.js';
import { startPrivatePostgres } from './private-postgres.js';
import { available, type FaultContext, type FaultRecord, SCENARIOS } from './scenarios.js';

const { values: flags } = parseArgs({
  options: {
    scenario: { type: 'string' },
    flows: { type: 'string' },
    rate: { type: 'string' },
    short: { type: 'boolean', default: false },
    'converge-timeout': { type: 'string' },
    'no-docs': { type: 'boolean', default: false },
  },
});
const short = flags.short ?? false;
const settings = {
  flows: Number(flags.flows ?? (short ? 100 : 1000)),
  rate: Number(flags.rate ?? (short ? 10 : 15)),
  convergeTimeoutS: Number(flags['converge-timeout'] ?? 120),
  scenarios: flags.scenario ? flags.scenario.split(',').map((s) => s.trim()) : SCENARIOS.map((s) => s.name),
  writeDocs: !short && !flags['no-docs'] && !flags.scenario,
};
for (const name of settings.scenarios) {
  if (!SCENARIOS.some((s) => s.name === name)) {
    throw new Error(`unknown scenario "${name}" (${SCENARIOS.map((s) => s.name).join(', ')})`);
  }
}

const INITIAL_ON_HAND = 1_000_000;
// Names of this run's own, so a staging database keeps earlier runs' stock apart.
const RUN = randomBytes(3).toString('hex');
const SKUS = [`drill-kettle-${RUN}`, `drill-mug-${RUN}`, `drill-tray-${RUN}`];
const LOCATIONS = [
  { id: 'riyadh-store', kind: 'store', lat: 24.71, lon: 46.68, handling: 400 },
  { id: 'dammam-warehouse', kind: 'warehouse', lat: 26.42, lon: 50.09, handling: 150 },
  { id: 'jeddah-warehouse', kind: 'warehouse', lat: 21.54, lon: 39.17, handling: 150 },
];

const log = (line = '') => process.stdout.write(`${line}\n`);

interface Row {
  scenario: string;
  flows: number;
  orders: number;
  payments: string;
  http5xx: number;
  failedWhileRedisDown: number | null;
  convergedS: number | null;
  /** Where the faults landed, when the scenario can tell. */
  landed: string;
  violations: string[];
}

/** Forwards the provider's webhooks to an api in rotation, as the load balancer in front of them would. */
async function startWebhookForwarder(deployment: Deployment): Promise<string> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      void (async () => {
        const body = Buffer.concat(chunks);
        for (const base of deployment.apiUrls()) {
          try {
            const answer = await fetch(`${base}${req.url}`, {
              method: req.method,
              headers: {
                'content-type': req.headers['content-type'] ?? 'application/json',
                'x-gateway-signature': String(req.headers['x-gateway-signature'] ?? ''),
              },
              body,
              signal: AbortSignal.timeout(10_000),
            });
            res.writeHead(answer.status, { 'content-type': 'application/json' }).end(await answer.text());
            return;
          } catch {
            /* the next api */
          }
        }
        res.writeHead(502).end();
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onCleanUp(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const address = server.address();
  if (typeof address !== 'object' || !address) throw new Error('webhook forwarder did not listen');
  return `http://127.0.0.1:${address.port}`;
}

async function describeMachine(postgresVersion: string): Promise<string> {
  const cpus = os.cpus();
  const redisVersion = /v=(\S+)/.exec(
    (await import('node:child_process')).execFileSync('redis-server', ['--version']).toString(),
  )?.[1];
  return (
    `${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ` +
    `${os.type()} ${os.release()}; Node ${process.version}, PostgreSQL ${postgresVersion}, Redis ${redisVersion ?? '?'}`
  );
}

/** What the scenarios run against: the drill's own deployment, or a staging one (DRILL_API_URLS). */
interface Target {
  apiUrls(): string[];
  jwtSecret: string;
  db: pg.Pool;
  provider?: Provider;
  machine: string;
  faults: FaultContext;
}

async function startLocal(): Promise<Target> {
  log('drill: starting a private PostgreSQL cluster, Redis, the stub provider and 7 app processes');
  const postgres = await startPrivatePostgres();
  onCleanUp(() => postgres.destroy());
  const databaseName = 'debts_hub_drill';
  const admin = new pg.Client({ connectionString: postgres.url('postgres') });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${databaseName}`);
  await admin.end();
  const redis = await startPrivateRedis();
  onCleanUp(() => redis.kill());
  const stub = await startStub();
  const deployment = new Deployment({
    databaseUrl: postgres.url(databaseName),
    redisUrl: redis.url,
    queuePrefix: 'drill',
    gatewayUrl: stub.url,
  });
  onCleanUp(() => deployment.stop());
  const t0 = Date.now();
  await deployment.start();
  log(`  deployment ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const forwarder = await startWebhookForwarder(deployment);
  await stub.configure({ webhookUrl: `${forwarder}/v1/payments/gateway-webhook`, webhookSecret: SECRETS.webhook });
  const db = new pg.Pool({ connectionString: postgres.url(databaseName), max: 4 });
  db.on('error', () => undefined); // connections cut by the PostgreSQL scenarios
  onCleanUp(() => db.end());
  return {
    apiUrls: () => deployment.apiUrls(),
    jwtSecret: SECRETS.jwt,
    db,
    provider: stubRecords(stub.url),
    machine: await describeMachine(await postgres.version()),
    faults: {
      deployment,
      postgres,
      databaseName,
      redis,
      stub,
      log,
      busyBackends: async (pid) => {
        const ports = socketPorts(pid);
        if (ports.length === 0) return 0;
        const { rows } = await db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity
           WHERE client_port = ANY($1::int[]) AND (state = 'active' OR xact_start IS NOT NULL)`,
          [ports],
        );
        return rows[0].n;
      },
    },
  };
}

function stubRecords(url: string): Provider {
  return {
    charges: async () => (await fetch(`${url}/_stub/charges`)).json() as never,
    refunds: async () => (await fetch(`${url}/_stub/refunds`)).json() as never,
  };
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required with DRILL_API_URLS (docs/reliability.md, "Against staging")`);
  return value;
}

/**
 * A deployment the drill did not start: no process, Redis or PostgreSQL server control, so only the
 * scenarios it can run without them (the provider's faults with DRILL_STUB_URL; connection
 * termination with DRILL_DATABASE_ADMIN_URL) run; the others are skipped with a note.
 */
async function connectStaging(): Promise<Target> {
  const urls = required('DRILL_API_URLS')
    .split(',')
    .map((u) => u.trim().replace(/\/$/, ''));
  const databaseUrl = required('DRILL_DATABASE_URL');
  const db = new pg.Pool({ connectionString: databaseUrl, max: 4 });
  db.on('error', () => undefined);
  onCleanUp(() => db.end());
  const stubUrl = process.env.DRILL_STUB_URL;
  const adminUrl = process.env.DRILL_DATABASE_ADMIN_URL;
  const databaseName = new URL(databaseUrl).pathname.slice(1);
  const { rows } = await db.query<{ v: string }>('SHOW server_version');
  log(`drill: against staging ${urls.join(', ')}`);
  return {
    apiUrls: () => urls,
    jwtSecret: required('DRILL_JWT_SECRET'),
    db,
    provider: stubUrl ? stubRecords(stubUrl) : undefined,
    machine: `staging at ${urls.join(', ')}; PostgreSQL ${rows[0].v}; drill host Node ${process.version}`,
    faults: {
      databaseName,
      log,
      stub: stubUrl
        ? {
            async configure(patch: object) {
              const answer = await fetch(`${stubUrl}/_stub/settings`, {
                method: 'PATCH',
                headers: { 'content-type': 'application/json' },
                body: JSON.stringify(patch),
              });
              if (!answer.ok) throw new Error(`stub settings: ${answer.status}`);
            },
          }
        : undefined,
      terminateConnections: adminUrl
        ? async (database: string) => {
            const client = new pg.Client({ connectionString: adminUrl });
            await client.connect();
            try {
              const result = await client.query(
                `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                  WHERE datname = $1 AND backend_type = 'client backend' AND pid <> pg_backend_pid()`,
                [database],
              );
              return result.rowCount ?? 0;
            } finally {
              await client.end();
            }
          }
        : undefined,
    },
  };
}

async function main(): Promise<number> {
  const staging = process.env.DRILL_API_URLS !== undefined;
  if (!staging) requireBuilt();
  const target = staging ? await connectStaging() : await startLocal();
  const { db, provider, machine } = target;
  const load = new Load(target.jwtSecret, target.apiUrls, db);
  await setUpCatalogue(load, { admin: 'drill-admin', skus: SKUS, locations: LOCATIONS, onHand: INITIAL_ON_HAND });
  log(`  machine: ${machine}`);
  log(`  ${settings.flows} payment flows per scenario at ${settings.rate}/s, one order per 5 flows`);
  if (!provider) log("  DRILL_STUB_URL unset: the provider's records are not checked");

  const rows: Row[] = [];
  const skipped: string[] = [];
  for (const scenario of SCENARIOS.filter((s) => settings.scenarios.includes(s.name))) {
    log(`\n== ${scenario.name}: ${scenario.summary}`);
    const missing = scenario.needs.filter((need) => !available(target.faults, need));
    if (missing.length > 0) {
      log(`    skipped: needs control of ${missing.join(', ')}, which this target does not give`);
      skipped.push(`${scenario.name} (needs ${missing.join(', ')})`);
      continue;
    }
    const record: FaultRecord = { redisDown: [], notes: [], landed: [] };
    const from = load.attempts.length;
    let faultDone = false;
    let faultStart = 0;
    let faultEnd = 0;
    const nominalMs = (settings.flows / settings.rate) * 1000;
    const fault = (async () => {
      await sleep(Math.max(2000, nominalMs * 0.4));
      faultStart = Date.now();
      try {
        await scenario.inject(target.faults, record);
      } catch (error) {
        record.notes.push(`fault injection failed: ${(error as Error).message}`);
      } finally {
        faultEnd = Date.now();
        faultDone = true;
      }
    })();
    const totals = await load.run(
      { rate: settings.rate, orderEvery: 5, skus: SKUS, maxInFlight: 24 },
      settings.flows,
      () => faultDone,
    );
    await fault;
    const loadEnd = Date.now();
    log(
      `    load stopped: ${totals.flows} flows, ${totals.orders} orders, ${totals.acceptedPayments} payments accepted`,
    );

    // Convergence: from the later of the last fault and the end of the load.
    const since = Math.max(faultEnd, loadEnd);
    let result = await safeExamine(db, provider);
    let shown = Date.now();
    while (result.pending.length > 0 && Date.now() - since < settings.convergeTimeoutS * 1000) {
      await sleep(500);
      result = await safeExamine(db, provider);
      if (result.pending.length > 0 && Date.now() - shown >= 5000) {
        // What is still open, every 5 s: the last line before convergence names what took longest.
        shown = Date.now();
        log(`    converging, ${((shown - since) / 1000).toFixed(0)} s: ${result.pending.join('; ')}`);
      }
    }
    const converged = result.pending.length === 0;
    const attempts = load.attempts.slice(from);
    const failed = (a: { status: number }) => a.status === 0 || a.status >= 500;
    const inFault = attempts.filter((a) => a.at >= faultStart && a.at <= faultEnd + 2000);
    const whileRedisDown = attempts.filter(
      (a) => a.path.startsWith('/v1') && failed(a) && record.redisDown.some(([s, e]) => a.at >= s && a.at <= e + 2000),
    );
    const violations = [
      ...result.violations,
      ...(converged ? [] : result.pending.map((p) => `not converged after ${settings.convergeTimeoutS} s: ${p}`)),
      ...totals.abandoned.map((a) => `request abandoned after retries: ${a}`),
      ...record.notes,
      ...(target.faults.deployment?.crashed() ?? []).map((name) => `${name} is not running`),
    ];
    if (whileRedisDown.length > 0) violations.push(`${whileRedisDown.length} /v1 requests failed while Redis was down`);
    if (scenario.zeroFailures) {
      const bad = attempts.filter(failed);
      if (bad.length > 0) {
        violations.push(
          `${bad.length} requests failed during the rolling restart (${[...new Set(bad.map((a) => a.error ?? a.status))].join(', ')})`,
        );
      }
    }
    const row: Row = {
      scenario: scenario.name,
      flows: totals.flows,
      orders: totals.orders,
      payments: Object.entries(result.payments)
        .map(([status, n]) => `${n} ${status}`)
        .join(', '),
      http5xx: inFault.filter((a) => a.status >= 500).length,
      failedWhileRedisDown: scenario.needs.includes('redis') ? whileRedisDown.length : null,
      convergedS: converged ? (Date.now() - since) / 1000 : null,
      landed: record.landed.join('; '),
      violations,
    };
    rows.push(row);
    log(
      `    converged: ${row.convergedS === null ? 'NO' : `${row.convergedS.toFixed(1)} s`}; 5xx during the fault ${row.http5xx}; ` +
        `failed requests (all, retried) ${attempts.filter(failed).length}; payments so far: ${row.payments}`,
    );
    const reasons = new Map<string, number>();
    for (const a of attempts.filter(failed)) {
      const reason = a.error ?? String(a.status);
      reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
    }
    for (const line of record.landed) log(`    faults landed: ${line}`);
    if (reasons.size > 0) log(`    failed attempts by cause: ${JSON.stringify(Object.fromEntries(reasons))}`);
    for (const v of violations.slice(0, 20)) log(`    VIOLATION: ${v}`);
    if (violations.length > 20) log(`    … and ${violations.length - 20} more violations`);
  }

  const header = [
    'scenario',
    'flows',
    'orders',
    '5xx in fault',
    '/v1 failed, Redis down',
    'converged (s)',
    'violations',
    'where the faults landed',
  ];
  const cells = rows.map((r) => [
    r.scenario,
    String(r.flows),
    String(r.orders),
    String(r.http5xx),
    r.failedWhileRedisDown === null ? '–' : String(r.failedWhileRedisDown),
    r.convergedS === null ? 'no' : r.convergedS.toFixed(1),
    r.violations.length === 0 ? '0' : String(r.violations.length),
    r.landed || '–',
  ]);
  log('\n== drill summary ==');
  log(`machine: ${machine}`);
  log(table(header, cells));
  if (skipped.length > 0) log(`skipped: ${skipped.join('; ')}`);
  if (settings.writeDocs) writeDocs(machine, header, cells);
  return rows.some((r) => r.violations.length > 0) ? 1 : 0;
}

async function safeExamine(db: pg.Pool, provider: Provider | undefined) {
  try {
    return await examine(db, provider, { skus: SKUS, initialOnHand: INITIAL_ON_HAND });
  } catch (error) {
    return { pending: [`could not examine: ${(error as Error).message}`], violations: [], payments: {} };
  }
}

const DOCS = join(process.cwd(), 'docs', 'reliability.md');
const BEGIN = '<!-- drill-table:begin -->';
const END = '<!-- drill-table:end -->';

/** Replaces the table between the markers in docs/reliability.md. */
function writeDocs(machine: string, header: string[], cells: string[][]): void {
  let text: string;
  try {
    text = readFileSync(DOCS, 'utf8');
  } catch {
    return;
  }
  const start = text.indexOf(BEGIN);
  const end = text.indexOf(END);
  if (start < 0 || end < 0) return;
  const block = [
    BEGIN,
    `Latest full run (${new Date().toISOString().slice(0, 10)}, \`npm run drill\`, ${settings.flows} payment flows per scenario at ${settings.rate}/s): ${machine}.`,
    '',
    `| ${header.join(' | ')} |`,
    `| ${header.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`,
    ...cells.map((row) => `| ${row.join(' | ')} |`),
    END,
  ].join('\n');
  writeFileSync(DOCS, text.slice(0, start) + block + text.slice(end + END.length));
  log(`table written to ${DOCS}`);
}

let exiting = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (exiting) return;
    exiting = true;
    process.stderr.write(`\n${signal}: stopping every process, PostgreSQL and Redis, removing their data\n`);
    void cleanUp().finally(() => process.exit(130));
  });
}

main()
  .then(async (code) => {
    await cleanUp();
    process.exit(code);
  })
  .catch(async (error: unknown) => {
    if (exiting) return;
    process.stderr.write(`drill failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    await cleanUp();
    process.exit(1);
  });
