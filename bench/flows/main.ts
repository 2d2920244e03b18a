/**
 * `npm run bench:flows` — the product's speed where users feel it, measured against the built app
 * running as real production processes (docs/benchmarks.md, "bench:flows"; issue 13).
 *
 *   (a) APP_ROLES=api: req/s, p50, p99 of /health/live, GET /v1/debts/{id}, POST /v1/debts and
 *       POST /v1/payments (closed loop, 32 connections) and each route's ratio to /health/live
 *   (b) every role in one process: sustained debt-payment flows/s (open loop; ≥ 95% of the offered
 *       flows complete, payment createdAt → licence issuedAt, within the window plus a drain
 *       allowance, with flow p99 ≤ 250 ms), then flow p50/p99 at half that capacity
 *   (c) the same for order flows: place → reserve (routing) → pay → ship (order created_at → shipped_at)
 *   (d) p99 of an authenticated GET while a burst of orders is routed, against its idle p99
 *   cost: CPU ms per payment flow by step (V8 profile of the app), PostgreSQL and Redis CPU per flow
 *   tracing (only when asked for): CPU ms per payment flow (and the share the V8 profile finds in tracing
 *       code), PostgreSQL CPU and flow p50/p99 of app variants run in
 *       alternating order, each in a fresh rig: by default this build with OTEL_EXPORTER_OTLP_ENDPOINT
 *       unset ("off") and set to a local sink that accepts every export ("on"); `--variant
 *       name=<dist/src/main.js>[+otlp]` (repeatable) names other builds, e.g. the commit before tracing
 *
 * The app, the stub payment provider and the load generator each run in their own process; the
 * benchmark has its own database per part and Redis prefix, removed at the end.
 *
 *   workers (only when asked for): sustained debt-payment flows with api+relay+scheduler in one
 *       process and 1, then 2, APP_ROLES=worker processes beside it (docs/scaling.md)
 *
 *   npm run bench:flows -- [--part a,b,c,d,cost] [--quick] [--repeat N] [--duration S] [--window S]
 *                          [--start-rate R] [--max-rate R] [--bisect N] [--drain S] [--cost-flows N] [--cost-rate R] [--burst N]
 *                          [--variant name=<main.js>[+otlp]]... [--markdown] [--backend redis|postgres|both]
 *
 * `--backend` (default both): the queue backend of the app processes; with both, one complete run per
 * backend, then their medians side by side (bench/backends.ts).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { freePort } from '../../test/support/app-process.js';
import { type CpuShare, cpuShare, snapshot } from '../machine-load.js';
import { int, ms, percentile, ratio, table } from '../stats.js';
import { backendOption, reportFigures, runOnEachBackend } from '../backends.js';
import type { ClientCpu } from './client.js';
import { attribute, STEP_ORDER } from './attribution.js';
import {
  APP_MAIN,
  type Child,
  cleanUp,
  createIsolation,
  type LoadClient,
  postgresBackendsCpu,
  postgresCpuDelta,
  processCpuMs,
  REDIS_URL,
  redisServerPids,
  requireBuilt,
  SECRETS,
  startApp,
  startClient,
  startStub,
  stopChild,
  sumCpuMs,
} from './processes.js';

const { values: flags } = parseArgs({
  options: {
    part: { type: 'string', default: 'a,b,c,d,cost' },
    quick: { type: 'boolean', default: false },
    repeat: { type: 'string' },
    duration: { type: 'string' },
    window: { type: 'string' },
    'start-rate': { type: 'string' },
    'max-rate': { type: 'string' },
    bisect: { type: 'string' },
    drain: { type: 'string' },
    'cost-flows': { type: 'string' },
    'cost-rate': { type: 'string' },
    burst: { type: 'string' },
    variant: { type: 'string', multiple: true },
    markdown: { type: 'boolean', default: false },
    backend: { type: 'string', default: 'both' },
  },
});
const backend = backendOption();
// startApp (processes.ts) gives the app processes this queue backend.
if (backend !== 'both') process.env.BENCH_QUEUE_BACKEND = backend;
const quick = flags.quick ?? false;
const num = (value: string | undefined, fallback: number) => (value === undefined ? fallback : Number(value));
const settings = {
  parts: new Set((flags.part ?? '').split(',').map((p) => p.trim())),
  repeat: num(flags.repeat, quick ? 1 : 3),
  /** Part (a): seconds per route. */
  durationS: num(flags.duration, quick ? 3 : 10),
  warmupS: quick ? 1 : 2,
  connections: 32,
  /** Parts (b), (c): the open-loop window. */
  windowS: num(flags.window, quick ? 5 : 30),
  startRate: num(flags['start-rate'], 20),
  maxRate: num(flags['max-rate'], 1000),
  bisect: num(flags.bisect, quick ? 1 : 3),
  drainMs: num(flags.drain, 2) * 1000,
  completeShare: 0.95,
  p99LimitMs: 250,
  costFlows: num(flags['cost-flows'], quick ? 100 : 300),
  costRate: num(flags['cost-rate'], 10),
  /** Part (d): orders placed at once, the GET probe's rate and its idle phase. */
  burst: num(flags.burst, quick ? 50 : 200),
  probeRate: 50,
  idleS: quick ? 3 : 5,
};
for (const part of settings.parts) {
  if (!['a', 'b', 'c', 'd', 'cost', 'tracing', 'workers'].includes(part)) {
    throw new Error(`unknown part "${part}" (a, b, c, d, cost, tracing, workers)`);
  }
}

const log = (line = '') => process.stdout.write(`${line}\n`);
const results: Array<{ part: string; figure: string; unit: string; values: number[] }> = [];
function record(part: string, figure: string, unit: string, value: number): void {
  let row = results.find((r) => r.part === part && r.figure === figure);
  if (!row) results.push((row = { part, figure, unit, values: [] }));
  row.values.push(value);
}

// ---------------------------------------------------------------------------------------------
// the machine and its disturbance

function describeMachine(): string[] {
  const cpus = os.cpus();
  const [l1, l5, l15] = os.loadavg();
  return [
    `machine: ${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} cores, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, ` +
      `${os.type()} ${os.release()}, Node ${process.version}`,
    `load average at start: ${l1.toFixed(2)} ${l5.toFixed(2)} ${l15.toFixed(2)}`,
  ];
}

/** What others (not the app, its database backends, Redis or the load generator) used, % of the machine. */
function othersPct(share: CpuShare): number {
  return share.pgOtherDb + share.other + share.steal;
}

interface Window {
  appCpuPct: number;
  clientCpuPct: number;
  othersPct: number;
}

/**
 * Measures the app's CPU (% of one core, /proc) around `run`, and what others used meanwhile: busy
 * time of the machine (% of all its cores) not spent by the app, the stub, the load generator, this
 * process, the bench database's backends or Redis.
 */
async function measured<T extends { cpu: ClientCpu }>(r: Rig, run: () => Promise<T>): Promise<T & Window> {
  const before = snapshot(r.databaseName);
  const appBefore = processCpuMs(r.app.pid);
  const t0 = performance.now();
  const result = await run();
  const wallMs = performance.now() - t0;
  const appMs = processCpuMs(r.app.pid) - appBefore;
  const after = snapshot(r.databaseName);
  const share = cpuShare(before, after);
  const elapsed = after.machineTotal - before.machineTotal;
  const oursTicks = r
    .pids()
    .reduce((sum, pid) => sum + (after.processes.get(pid)?.ticks ?? 0) - (before.processes.get(pid)?.ticks ?? 0), 0);
  const oursPct = elapsed > 0 ? (oursTicks / elapsed) * 100 : 0;
  return {
    ...result,
    appCpuPct: (appMs / wallMs) * 100,
    clientCpuPct: result.cpu.pctOfCore,
    othersPct: Math.max(0, othersPct(share) - oursPct),
  };
}

// ---------------------------------------------------------------------------------------------
// environment per part

interface Rig {
  app: Child & { url: string };
  client: LoadClient;
  db: pg.Pool;
  databaseName: string;
  /** The app's, the stub's and the load generator's pids. */
  pids(): number[];
  stop(): Promise<void>;
}

async function rig(
  roles: string | undefined,
  profileDir?: string,
  appOptions: { main?: string; extraEnv?: Record<string, string>; workers?: number } = {},
): Promise<Rig> {
  const iso = await createIsolation();
  const stub = await startStub();
  const port = await freePort();
  const { workers: workerCount = 0, ...mainOptions } = appOptions;
  const app = await startApp({
    roles,
    port,
    databaseUrl: iso.databaseUrl,
    queuePrefix: iso.queuePrefix,
    gatewayUrl: stub.url,
    profileDir,
    ...mainOptions,
  });
  // Processes with APP_ROLES=worker beside the main one (part "workers").
  const workers = await Promise.all(
    Array.from({ length: workerCount }, async () =>
      startApp({
        roles: 'worker',
        port: await freePort(),
        databaseUrl: iso.databaseUrl,
        queuePrefix: iso.queuePrefix,
        gatewayUrl: stub.url,
        ...mainOptions,
        // A process without HTTP reports readiness in its log (processes.ts); it logs nothing per job.
        extraEnv: { LOG_LEVEL: 'info', ...mainOptions.extraEnv },
      }),
    ),
  );
  await stub.configure({ webhookUrl: `${app.url}/v1/payments/gateway-webhook`, webhookSecret: SECRETS.webhook });
  const client = startClient({
    BENCH_APP_URL: app.url,
    BENCH_JWT_SECRET: SECRETS.jwt,
    BENCH_DATABASE_URL: iso.databaseUrl,
  });
  const db = new pg.Pool({ connectionString: iso.databaseUrl, max: 2 });
  return {
    app,
    client,
    db,
    databaseName: iso.databaseName,
    pids: () => [app.pid, stub.pid, client.pid, ...workers.map((w) => w.pid)],
    async stop() {
      await client.stop();
      await stopChild(stub.child);
      await Promise.all(workers.map((w) => stopChild(w.child, 30_000)));
      await stopChild(app.child, 30_000);
      await db.end();
      await iso.dispose();
    },
  };
}

/**
 * Waits until every committed event has been relayed and every delivery handled, so one measurement
 * does not pay for the last one's backlog. Past `timeoutMs` it says what is still pending (by
 * subscriber, lane, state and event type) and goes on: the next figure is then marked disturbed.
 */
async function waitQuiet(db: pg.Pool, timeoutMs = 180_000): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    const { rows } = await db.query<{ n: string }>(
      `SELECT (SELECT count(*) FROM outbox_message)
            + (SELECT count(*) FROM outbox_delivery WHERE state IN ('pending', 'enqueued')) AS n`,
    );
    if (Number(rows[0].n) === 0) return Date.now() - t0;
    if (Date.now() - t0 > timeoutMs) {
      const pending = await db.query(
        `SELECT d.subscriber, d.lane, d.state, e.type, count(*)::int AS n, max(d.attempts) AS attempts,
                min(d.updated_at) AS oldest
           FROM outbox_delivery d LEFT JOIN outbox_event e ON e.id = d.event_id
          WHERE d.state IN ('pending', 'enqueued') GROUP BY 1, 2, 3, 4`,
      );
      const unrelayed = await db.query(`SELECT count(*)::int AS n FROM outbox_message`);
      log(
        `    WARNING: not quiet after ${timeoutMs / 1000} s: ${unrelayed.rows[0].n} events not relayed; pending deliveries ` +
          JSON.stringify(pending.rows),
      );
      disturbed = true;
      return Date.now() - t0;
    }
    await sleep(200);
  }
}
let disturbed = false;

// ---------------------------------------------------------------------------------------------
// (a) routes

const ROUTES = [
  { name: 'health', label: 'GET /health/live' },
  { name: 'get-debt', label: 'GET /v1/debts/{id}' },
  { name: 'post-debt', label: 'POST /v1/debts' },
  { name: 'post-payment', label: 'POST /v1/payments' },
] as const;

interface RouteResult {
  reqPerS: number;
  total: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  all2xx: number;
  cpu: ClientCpu;
}

async function partA(): Promise<void> {
  log('\n== (a) routes, APP_ROLES=api, closed loop ==');
  const r = await rig('api');
  try {
    const fixtures = 64;
    await r.client.run('setupRoutes', { citizens: fixtures });
    const accepted = { 'post-debt': fixtures, 'post-payment': 0 } as Record<string, number>;
    for (let rep = 1; rep <= settings.repeat; rep++) {
      let health = Number.NaN;
      for (const route of ROUTES) {
        const res = await measured(r, () =>
          r.client.run<RouteResult>('route', {
            name: route.name,
            durationS: settings.durationS,
            warmupS: settings.warmupS,
            connections: settings.connections,
          }),
        );
        if (route.name === 'health') health = res.reqPerS;
        if (route.name in accepted) accepted[route.name] += res.all2xx;
        const bad = res.non2xx + res.errors + res.timeouts;
        log(
          `  [${rep}] ${route.label.padEnd(20)} ${int(res.reqPerS).padStart(6)} req/s  p50 ${ms(res.p50)}  p99 ${ms(res.p99)}  ` +
            `${ratio(res.reqPerS / health)} health  app ${res.appCpuPct.toFixed(0)}%  client ${res.clientCpuPct.toFixed(0)}%  ` +
            `others ${res.othersPct.toFixed(0)}% of machine  status ${JSON.stringify(res.statusCodes)}` +
            (bad > 0 ? `  NON-2XX ${res.non2xx} errors ${res.errors} timeouts ${res.timeouts}` : ''),
        );
        record('a', `${route.label} req/s`, 'req/s', res.reqPerS);
        record('a', `${route.label} p50`, 'ms', res.p50);
        record('a', `${route.label} p99`, 'ms', res.p99);
        if (route.name !== 'health') record('a', `${route.label} ÷ health`, '×', res.reqPerS / health);
        record('a', `${route.label} non-2xx`, 'count', bad);
        record('a', `${route.label} app CPU`, '% core', res.appCpuPct);
        record('a', `${route.label} client CPU`, '% core', res.clientCpuPct);
      }
    }
    // Every 2xx must be a row of its own: a replayed body or Idempotency-Key would answer 2xx without work.
    const { rows } = await r.db.query<{ debts: string; payments: string }>(
      `SELECT (SELECT count(*) FROM debts_debt) AS debts, (SELECT count(*) FROM payments_payment) AS payments`,
    );
    // A replayed body or key would answer 2xx without a row of its own: rows must be at least the
    // answers. Rows beyond them are requests in flight when autocannon stopped (handled, not counted).
    const check = (label: string, rowCount: string, answers: number) =>
      `${rowCount} ${label} rows for ${answers} 2xx answers (${Number(rowCount) >= answers ? 'ok' : 'MISMATCH: replays'})`;
    log(
      `  check, every 2xx did its own work: ${check('debt', rows[0].debts, accepted['post-debt'])}, ` +
        `${check('payment', rows[0].payments, accepted['post-payment'])} (extra rows: in flight when a run stopped)`,
    );
  } finally {
    await r.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// (b) debt-payment flows

interface PayResult {
  windowStart: number;
  windowEnd: number;
  paymentIds: string[];
  statusCodes: Record<string, number>;
  failures: number;
  postP50: number;
  postP99: number;
  sendLagP99: number;
  cpu: ClientCpu;
}

interface FlowTimes {
  created: number;
  confirmed: number | null;
  settled: number | null;
  issued: number | null;
}

async function debtFlowTimes(db: pg.Pool, paymentIds: string[]): Promise<FlowTimes[]> {
  const { rows } = await db.query<FlowTimes>(
    `SELECT extract(epoch FROM p.created_at) * 1000 AS created,
            extract(epoch FROM p.confirmed_at) * 1000 AS confirmed,
            extract(epoch FROM d.settled_at) * 1000 AS settled,
            extract(epoch FROM l.issued_at) * 1000 AS issued
       FROM payments_payment p
       JOIN debts_debt d ON d.id = p.reference_id::uuid
       LEFT JOIN licences_application l ON l.citizen_id = d.citizen_id
      WHERE p.id = ANY($1::uuid[])`,
    [paymentIds],
  );
  const n = (v: unknown) => (v === null ? null : Number(v));
  return rows.map((r) => ({
    created: Number(r.created),
    confirmed: n(r.confirmed),
    settled: n(r.settled),
    issued: n(r.issued),
  }));
}

interface Attempt {
  rate: number;
  offered: number;
  accepted: number;
  completed: number;
  share: number;
  p50: number;
  p99: number;
  pass: boolean;
  steps: Record<string, number>;
}

/**
 * One window's verdict: the flows finished (`finished` set, by the deadline), their share of the
 * offered count, latency from `created` to `finished`, the pass rule, and each step's median.
 */
function judge<T extends { created: number }>(
  rate: number,
  offered: number,
  accepted: number,
  deadline: number,
  times: T[],
  finished: (t: T) => number | null,
  steps: Record<string, (t: T) => number>,
): Attempt {
  const done = times.filter((t) => {
    const end = finished(t);
    return end !== null && end <= deadline;
  });
  const latencies = done.map((t) => (finished(t) as number) - t.created);
  const share = done.length / offered;
  const p99 = percentile(latencies, 0.99);
  return {
    rate,
    offered,
    accepted,
    completed: done.length,
    share,
    p50: percentile(latencies, 0.5),
    p99,
    pass: share >= settings.completeShare && p99 <= settings.p99LimitMs,
    steps: Object.fromEntries(Object.entries(steps).map(([name, step]) => [name, percentile(done.map(step), 0.5)])),
  };
}

async function debtAttempt(r: Rig, rate: number, windowS: number): Promise<Attempt> {
  const count = Math.max(1, Math.round(rate * windowS));
  await r.client.run('setupDebtFlows', { count, concurrency: 16 });
  await waitQuiet(r.db);
  const res = await measured(r, () => r.client.run<PayResult>('payFlows', { rate, count }));
  const deadline = res.windowEnd + settings.drainMs;
  if (Date.now() < deadline) await sleep(deadline - Date.now());
  const attempt = judge(
    rate,
    count,
    res.paymentIds.length,
    deadline,
    await debtFlowTimes(r.db, res.paymentIds),
    (t) => t.issued,
    {
      confirm: (t) => (t.confirmed as number) - t.created,
      settle: (t) => (t.settled as number) - (t.confirmed as number),
      issue: (t) => (t.issued as number) - (t.settled as number),
    },
  );
  const { share, p99, pass } = attempt;
  const drained = await waitQuiet(r.db, 120_000);
  log(
    `    ${String(rate).padStart(5)}/s × ${windowS} s: ${attempt.completed}/${count} complete (${(share * 100).toFixed(1)}%), ` +
      `flow p50 ${ms(attempt.p50)} p99 ${ms(p99)} [confirm ${ms(attempt.steps.confirm)} + settle ${ms(attempt.steps.settle)} + ` +
      `issue ${ms(attempt.steps.issue)} medians]  POST p99 ${ms(res.postP99)}  send lag p99 ${ms(res.sendLagP99)}  ` +
      `status ${JSON.stringify(res.statusCodes)}${res.failures ? ` failed ${res.failures}` : ''}  app ${res.appCpuPct.toFixed(0)}%  ` +
      `client ${res.clientCpuPct.toFixed(0)}%  others ${res.othersPct.toFixed(0)}% of machine  drained ${(drained / 1000).toFixed(1)} s → ${pass ? 'PASS' : 'fail'}`,
  );
  return attempt;
}

/** Doubles from the start rate while attempts pass, then bisects between the last pass and the first fail. */
async function capacitySearch(attempt: (rate: number) => Promise<Attempt>): Promise<number> {
  let pass = 0;
  let fail = Number.POSITIVE_INFINITY;
  let rate = settings.startRate;
  while (rate <= settings.maxRate) {
    if ((await attempt(rate)).pass) {
      pass = rate;
      rate *= 2;
    } else {
      fail = rate;
      break;
    }
  }
  if (pass === 0) {
    // Even the start rate failed: halve until one passes.
    for (rate = Math.floor(fail / 2); rate >= 1; rate = Math.floor(rate / 2)) {
      if ((await attempt(rate)).pass) {
        pass = rate;
        break;
      }
      fail = rate;
    }
  }
  for (
    let step = 0;
    step < settings.bisect && Number.isFinite(fail) && fail - pass > Math.max(1, pass * 0.05);
    step++
  ) {
    const mid = Math.round((pass + fail) / 2);
    if ((await attempt(mid)).pass) pass = mid;
    else fail = mid;
  }
  return pass;
}

async function partB(): Promise<void> {
  log(`\n== (b) debt-payment flows, every role in one process, open loop, ${settings.windowS} s windows ==`);
  const r = await rig(undefined);
  try {
    // A cold app (JIT, pools, plans) fails its first window at any rate: warm it up first.
    log('  warm-up (not recorded):');
    await debtAttempt(r, 10, 5);
    for (let rep = 1; rep <= settings.repeat; rep++) {
      log(
        `  [${rep}] capacity search (pass: ≥ ${settings.completeShare * 100}% complete, p99 ≤ ${settings.p99LimitMs} ms)`,
      );
      const capacity = await capacitySearch((rate) => debtAttempt(r, rate, settings.windowS));
      log(
        `  [${rep}] sustained capacity ${capacity} flows/s${capacity >= 2 ? '; at half:' : ' (no half-capacity run below 2/s)'}`,
      );
      record('b', 'sustained debt-payment flows', 'flows/s', capacity);
      if (capacity >= 2) {
        const half = await debtAttempt(r, Math.floor(capacity / 2), settings.windowS);
        record('b', 'flow p50 at half capacity', 'ms', half.p50);
        record('b', 'flow p99 at half capacity', 'ms', half.p99);
        record('b', '  payment created → confirmed p50', 'ms', half.steps.confirm);
        record('b', '  confirmed → debt settled p50', 'ms', half.steps.settle);
        record('b', '  settled → licence issued p50', 'ms', half.steps.issue);
      }
    }
  } finally {
    await r.stop();
  }
}

/**
 * Part "workers": how sustained debt-payment flows grow with worker processes. One process runs
 * api, relay and scheduler; 1 or 2 processes run APP_ROLES=worker beside it, each variant in a fresh
 * rig, in alternating order per repeat so a drift of the machine's load favours neither.
 */
async function partWorkers(): Promise<void> {
  log(`\n== (workers) debt-payment flows with 1 and 2 worker processes beside api+relay+scheduler ==`);
  for (let rep = 1; rep <= settings.repeat; rep++) {
    for (const workers of rep % 2 === 1 ? [1, 2] : [2, 1]) {
      const r = await rig('api,relay,scheduler', undefined, { workers });
      try {
        log(`  [${rep}] ${workers} worker process(es); warm-up (not recorded):`);
        await debtAttempt(r, 10, 5);
        const capacity = await capacitySearch((rate) => debtAttempt(r, rate, settings.windowS));
        log(`  [${rep}] ${workers} worker process(es): sustained capacity ${capacity} flows/s`);
        record('workers', `sustained debt-payment flows, ${workers} worker process(es)`, 'flows/s', capacity);
      } finally {
        await r.stop();
      }
    }
  }
  const median = (workers: number) =>
    percentile(
      results.find((row) => row.figure === `sustained debt-payment flows, ${workers} worker process(es)`)!.values,
      0.5,
    );
  log(`  2 worker processes / 1: ${ratio(median(2) / median(1))} (medians)`);
}

// ---------------------------------------------------------------------------------------------
// (c) order flows, (d) API p99 during an order burst

interface OrderResult {
  windowStart: number;
  windowEnd: number;
  orderIds: string[];
  statusCodes: Record<string, number>;
  routedStatus: Record<string, number>;
  failures: number;
  sendLagP99: number;
  cpu: ClientCpu;
}

interface OrderTimes {
  created: number;
  reserved: number | null;
  paid: number | null;
  shipped: number | null;
}

async function orderFlowTimes(db: pg.Pool, orderIds: string[]): Promise<OrderTimes[]> {
  const { rows } = await db.query<OrderTimes>(
    `SELECT extract(epoch FROM o.created_at) * 1000 AS created,
            extract(epoch FROM o.reserved_at) * 1000 AS reserved,
            extract(epoch FROM p.created_at) * 1000 AS paid,
            extract(epoch FROM o.shipped_at) * 1000 AS shipped
       FROM fulfilment_order o
       LEFT JOIN payments_payment p ON p.purpose = 'order' AND p.reference_id = o.id::text
      WHERE o.id = ANY($1::uuid[])`,
    [orderIds],
  );
  const n = (v: unknown) => (v === null ? null : Number(v));
  return rows.map((r) => ({
    created: Number(r.created),
    reserved: n(r.reserved),
    paid: n(r.paid),
    shipped: n(r.shipped),
  }));
}

async function orderAttempt(r: Rig, rate: number, windowS: number): Promise<Attempt> {
  const count = Math.max(1, Math.round(rate * windowS));
  await waitQuiet(r.db);
  const res = await measured(r, () => r.client.run<OrderResult>('orderFlows', { rate, count }));
  const deadline = res.windowEnd + settings.drainMs;
  if (Date.now() < deadline) await sleep(deadline - Date.now());
  const attempt = judge(
    rate,
    count,
    res.orderIds.length,
    deadline,
    await orderFlowTimes(r.db, res.orderIds),
    (t) => t.shipped,
    {
      reserve: (t) => (t.reserved as number) - t.created,
      clientPays: (t) => (t.paid as number) - (t.reserved as number),
      ship: (t) => (t.shipped as number) - (t.paid as number),
    },
  );
  const { share, p99, pass } = attempt;
  const drained = await waitQuiet(r.db, 120_000);
  log(
    `    ${String(rate).padStart(5)}/s × ${windowS} s: ${attempt.completed}/${count} shipped (${(share * 100).toFixed(1)}%), ` +
      `flow p50 ${ms(attempt.p50)} p99 ${ms(p99)} [placed → reserved ${ms(attempt.steps.reserve)} + client pays ` +
      `${ms(attempt.steps.clientPays)} + paid → shipped ${ms(attempt.steps.ship)} medians]  send lag p99 ${ms(res.sendLagP99)}  ` +
      `${JSON.stringify(res.statusCodes)} routed ${JSON.stringify(res.routedStatus)}${res.failures ? ` failed ${res.failures}` : ''}  ` +
      `app ${res.appCpuPct.toFixed(0)}%  client ${res.clientCpuPct.toFixed(0)}%  others ${res.othersPct.toFixed(0)}% of machine  ` +
      `drained ${(drained / 1000).toFixed(1)} s → ${pass ? 'PASS' : 'fail'}`,
  );
  return attempt;
}

async function partC(): Promise<void> {
  log(
    `\n== (c) order flows (place → reserve → pay → ship), every role in one process, open loop, ${settings.windowS} s windows ==`,
  );
  const r = await rig(undefined);
  try {
    await r.client.run('setupCatalogue', {});
    log('  warm-up (not recorded):');
    await orderAttempt(r, 10, 5);
    for (let rep = 1; rep <= settings.repeat; rep++) {
      log(
        `  [${rep}] capacity search (pass: ≥ ${settings.completeShare * 100}% shipped, p99 ≤ ${settings.p99LimitMs} ms)`,
      );
      const capacity = await capacitySearch((rate) => orderAttempt(r, rate, settings.windowS));
      log(
        `  [${rep}] sustained capacity ${capacity} order flows/s${capacity >= 2 ? '; at half:' : ' (no half-capacity run below 2/s)'}`,
      );
      record('c', 'sustained order flows', 'flows/s', capacity);
      if (capacity >= 2) {
        const half = await orderAttempt(r, Math.floor(capacity / 2), settings.windowS);
        record('c', 'order flow p50 at half capacity', 'ms', half.p50);
        record('c', 'order flow p99 at half capacity', 'ms', half.p99);
        record('c', '  placed → reserved p50', 'ms', half.steps.reserve);
        record('c', '  reserved → client pays p50', 'ms', half.steps.clientPays);
        record('c', '  paid → shipped p50', 'ms', half.steps.ship);
      }
    }
  } finally {
    await r.stop();
  }
}

interface BurstResult {
  idleP50: number;
  idleP99: number;
  idleCount: number;
  burstP50: number;
  burstP99: number;
  burstCount: number;
  placedMs: number;
  routedMs: number;
  orders: number;
  placedStatus: Record<string, number>;
  statusCodes: Record<string, number>;
  cpu: ClientCpu;
}

async function partD(): Promise<void> {
  log(
    `\n== (d) GET /v1/debts/{id} at ${settings.probeRate}/s (open loop): idle, then while ${settings.burst} orders placed at once are routed ==`,
  );
  const r = await rig(undefined);
  try {
    await r.client.run('setupCatalogue', {});
    await r.client.run('setupRoutes', { citizens: 64 });
    for (let rep = 1; rep <= settings.repeat; rep++) {
      await waitQuiet(r.db);
      const res = await measured(r, () =>
        r.client.run<BurstResult>('burstProbe', {
          probeRate: settings.probeRate,
          idleS: settings.idleS,
          burst: settings.burst,
          burstConcurrency: 32,
        }),
      );
      log(
        `  [${rep}] idle p50 ${ms(res.idleP50)} p99 ${ms(res.idleP99)} (${res.idleCount})  during the burst p50 ${ms(res.burstP50)} ` +
          `p99 ${ms(res.burstP99)} (${res.burstCount}) → ${ratio(res.burstP99 / res.idleP99)}  ${res.orders} orders placed in ` +
          `${int(res.placedMs)} ms ${JSON.stringify(res.placedStatus)}, all routed after ${int(res.routedMs)} ms  probe ` +
          `${JSON.stringify(res.statusCodes)}  app ${res.appCpuPct.toFixed(0)}%  client ${res.clientCpuPct.toFixed(0)}%  others ${res.othersPct.toFixed(0)}% of machine`,
      );
      record('d', 'GET p99, idle', 'ms', res.idleP99);
      record('d', 'GET p99, during an order burst', 'ms', res.burstP99);
      record('d', 'burst p99 ÷ idle p99', '×', res.burstP99 / res.idleP99);
      record('d', 'burst routed in', 'ms', res.routedMs);
      await waitQuiet(r.db, 120_000);
    }
  } finally {
    await r.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// cost per payment flow

async function partCost(): Promise<void> {
  log(`\n== cost: ${settings.costFlows} debt-payment flows at ${settings.costRate}/s, every role, app profiled ==`);
  const profileDir = mkdtempSync(join(os.tmpdir(), 'bench-flows-profile-'));
  const r = await rig(undefined, profileDir);
  try {
    for (let rep = 1; rep <= settings.repeat; rep++) {
      const count = settings.costFlows;
      await r.client.run('setupDebtFlows', { count, concurrency: 16 });
      await waitQuiet(r.db);
      await sleep(500);
      const redisPids = redisServerPids(REDIS_URL);
      const stats0 = await dbStats(r.db, r.databaseName);
      const pg0 = postgresBackendsCpu(r.databaseName);
      const redis0 = sumCpuMs(redisPids);
      const app0 = processCpuMs(r.app.pid);
      await toggleProfile(r.app, profileDir, `started-${rep}`);
      const res = await r.client.run<PayResult>('payFlows', { rate: settings.costRate, count });
      await waitQuiet(r.db, 120_000);
      // Until every flow has its licence: the last step's event is handled after the outbox is empty.
      const t0 = Date.now();
      for (;;) {
        const times = await debtFlowTimes(r.db, res.paymentIds);
        if (times.every((t) => t.issued !== null) || Date.now() - t0 > 60_000) break;
        await sleep(100);
      }
      await toggleProfile(r.app, profileDir, `cost-${rep}.cpuprofile`);
      const appMs = processCpuMs(r.app.pid) - app0;
      const pgMs = postgresCpuDelta(pg0, postgresBackendsCpu(r.databaseName));
      const redisMs = sumCpuMs(redisPids) - redis0;
      await sleep(700); // statistics reach pg_stat_database at the end of the backends' transactions, in ~500 ms
      const stats1 = await dbStats(r.db, r.databaseName);
      const flows = res.paymentIds.length;
      const steps = attribute(JSON.parse(readFileSync(join(profileDir, `cost-${rep}.cpuprofile`), 'utf8')));
      // The samples' time is wall time (a sample taken while the thread waited for a CPU counts too), so
      // the profile gives each step's share and /proc the app's real CPU, which the shares divide.
      const sampled = [...steps.entries()].filter(([k]) => k !== 'idle').reduce((s, [, v]) => s + v, 0);
      log(`  [${rep}] ${flows} flows; app CPU ms per flow by step (/proc CPU split by the V8 profile's shares):`);
      for (const step of STEP_ORDER) {
        if (step === 'idle') continue;
        const perFlow = (((steps.get(step) ?? 0) / sampled) * appMs) / flows;
        log(`        ${step.padEnd(34)} ${perFlow.toFixed(2).padStart(7)} ms`);
        record('cost', `app: ${step}`, 'ms/flow', perFlow);
      }
      log(`        ${'app process CPU (/proc), total'.padEnd(34)} ${(appMs / flows).toFixed(2).padStart(7)} ms`);
      log(`        ${'(profile: sampled wall time)'.padEnd(34)} ${(sampled / flows).toFixed(2).padStart(7)} ms`);
      log(`        ${'PostgreSQL backends (bench db)'.padEnd(34)} ${(pgMs / flows).toFixed(2).padStart(7)} ms`);
      log(`        ${'redis-server (shared)'.padEnd(34)} ${(redisMs / flows).toFixed(2).padStart(7)} ms`);
      const per = (k: Exclude<keyof DbStats, 'calls'>) => (stats1[k] - stats0[k]) / flows;
      log(
        `        per flow: ${per('xactCommit').toFixed(1)} commits, ${per('tupInserted').toFixed(1)} rows inserted, ` +
          `${per('tupUpdated').toFixed(1)} updated, ${per('tupDeleted').toFixed(1)} deleted, ${per('tupReturned').toFixed(0)} returned, ` +
          `${per('tupFetched').toFixed(0)} fetched` +
          (stats1.calls === null || stats0.calls === null
            ? ''
            : `, ${((stats1.calls - stats0.calls) / flows).toFixed(1)} statements`),
      );
      record('cost', 'app process CPU (/proc), total', 'ms/flow', appMs / flows);
      record('cost', 'PostgreSQL backends (bench db)', 'ms/flow', pgMs / flows);
      record('cost', 'redis-server (shared)', 'ms/flow', redisMs / flows);
      record('cost', 'commits', 'per flow', per('xactCommit'));
      record(
        'cost',
        'rows inserted + updated + deleted',
        'per flow',
        per('tupInserted') + per('tupUpdated') + per('tupDeleted'),
      );
      if (stats1.calls !== null && stats0.calls !== null) {
        record('cost', 'statements', 'per flow', (stats1.calls - stats0.calls) / flows);
      }
    }
  } finally {
    await r.stop();
    rmSync(profileDir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// tracing: what the tracing code costs, off and on, against a build without it

interface Variant {
  name: string;
  main: string;
  /** Export to the local sink (OTEL_EXPORTER_OTLP_ENDPOINT set); otherwise the variable is unset. */
  otlp: boolean;
}

function variants(): Variant[] {
  const given = flags.variant ?? [];
  if (given.length === 0) {
    return [
      { name: 'off', main: APP_MAIN, otlp: false },
      { name: 'on', main: APP_MAIN, otlp: true },
    ];
  }
  return given.map((spec) => {
    const match = /^([\w-]+)=(.+?)(\+otlp)?$/.exec(spec);
    if (!match) throw new Error(`--variant ${spec}: expected name=<path to main.js>[+otlp]`);
    if (!existsSync(match[2])) throw new Error(`--variant ${spec}: ${match[2]} does not exist (build it first)`);
    return { name: match[1], main: match[2], otlp: match[3] !== undefined };
  });
}

/** An OTLP/HTTP collector that accepts every export and counts what it received. */
async function otlpSink(): Promise<{
  url: string;
  exports: () => number;
  bytes: () => number;
  close(): Promise<void>;
}> {
  let exports = 0;
  let bytes = 0;
  const server = createServer((request, response) => {
    request.on('data', (chunk: Buffer) => (bytes += chunk.length));
    request.on('end', () => {
      if (request.url === '/v1/traces') exports++;
      response.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    exports: () => exports,
    bytes: () => bytes,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function partTracing(): Promise<void> {
  const list = variants();
  log(
    `\n== tracing: ${settings.costFlows} debt-payment flows at ${settings.costRate}/s per run, every role, variants ` +
      `${list.map((v) => `${v.name} (${v.main}${v.otlp ? ', exporting to a local sink' : ', OTEL_EXPORTER_OTLP_ENDPOINT unset'})`).join(', ')}; ` +
      `order alternates run by run ==`,
  );
  const sink = await otlpSink();
  try {
    for (let rep = 1; rep <= settings.repeat; rep++) {
      const order = rep % 2 === 1 ? list : [...list].reverse();
      for (const variant of order) {
        // A fresh app per run: its profile hook names its first profile cost-1.cpuprofile.
        const profileDir = mkdtempSync(join(os.tmpdir(), 'bench-flows-tracing-'));
        const r = await rig(undefined, profileDir, {
          main: variant.main,
          extraEnv: variant.otlp ? { OTEL_EXPORTER_OTLP_ENDPOINT: sink.url } : {},
        });
        try {
          const count = settings.costFlows;
          await r.client.run('setupDebtFlows', { count, concurrency: 16 });
          await waitQuiet(r.db);
          await sleep(500);
          const exports0 = sink.exports();
          const bytes0 = sink.bytes();
          const pg0 = postgresBackendsCpu(r.databaseName);
          const res = await measured(r, async () => {
            const app0 = processCpuMs(r.app.pid);
            await toggleProfile(r.app, profileDir, 'started-1');
            const sent = await r.client.run<PayResult>('payFlows', { rate: settings.costRate, count });
            await waitQuiet(r.db, 120_000);
            const t0 = Date.now();
            let times = await debtFlowTimes(r.db, sent.paymentIds);
            while (times.some((t) => t.issued === null) && Date.now() - t0 < 60_000) {
              await sleep(100);
              times = await debtFlowTimes(r.db, sent.paymentIds);
            }
            await toggleProfile(r.app, profileDir, 'cost-1.cpuprofile');
            return { ...sent, times, appMs: processCpuMs(r.app.pid) - app0 };
          });
          const steps = attribute(JSON.parse(readFileSync(join(profileDir, 'cost-1.cpuprofile'), 'utf8')));
          const sampled = [...steps.entries()].filter(([k]) => k !== 'idle').reduce((sum, [, v]) => sum + v, 0);
          const tracingStep = STEP_ORDER.find((step) => step.startsWith('tracing'))!;
          const pgMs = postgresCpuDelta(pg0, postgresBackendsCpu(r.databaseName));
          const flows = res.paymentIds.length;
          const done = res.times.filter((t) => t.issued !== null).map((t) => (t.issued as number) - t.created);
          done.sort((a, b) => a - b);
          // Spans are exported in batches every few seconds: give the last one time to arrive.
          if (variant.otlp) await sleep(6000);
          const tracingMs = (((steps.get(tracingStep) ?? 0) / sampled) * res.appMs) / flows;
          log(
            `  [${rep}] ${variant.name.padEnd(8)} ${flows} flows, ${done.length} issued: app ${(res.appMs / flows).toFixed(2)} ms CPU/flow ` +
              `(tracing code ${tracingMs.toFixed(3)} ms, ${(((steps.get(tracingStep) ?? 0) / sampled) * 100).toFixed(2)}% of samples), ` +
              `PostgreSQL ${(pgMs / flows).toFixed(2)} ms/flow, flow p50 ${ms(percentile(done, 0.5))} p99 ${ms(percentile(done, 0.99))}, ` +
              `others ${res.othersPct.toFixed(0)}% of machine` +
              (variant.otlp
                ? `, sink received ${sink.exports() - exports0} exports (${((sink.bytes() - bytes0) / 1024).toFixed(0)} KiB)`
                : ''),
          );
          record('tracing', `${variant.name}: app CPU`, 'ms/flow', res.appMs / flows);
          record('tracing', `${variant.name}: app CPU in tracing code`, 'ms/flow', tracingMs);
          record('tracing', `${variant.name}: PostgreSQL backends`, 'ms/flow', pgMs / flows);
          record('tracing', `${variant.name}: flow p50`, 'ms', percentile(done, 0.5));
          record('tracing', `${variant.name}: flow p99`, 'ms', percentile(done, 0.99));
          record('tracing', `${variant.name}: others`, '% machine', res.othersPct);
        } finally {
          await r.stop();
          rmSync(profileDir, { recursive: true, force: true });
        }
      }
    }
  } finally {
    await sink.close();
  }
}

/** Sends SIGUSR2 to the profiled app (bench/flows/profile-hook.ts) and waits for its marker file. */
async function toggleProfile(app: Child, dir: string, marker: string): Promise<void> {
  const file = join(dir, marker);
  process.kill(app.pid, 'SIGUSR2');
  const t0 = Date.now();
  while (!existsSync(file)) {
    if (Date.now() - t0 > 30_000) throw new Error(`profiler did not answer (${marker}):\n${app.output()}`);
    await sleep(50);
  }
}

interface DbStats {
  xactCommit: number;
  tupInserted: number;
  tupUpdated: number;
  tupDeleted: number;
  tupReturned: number;
  tupFetched: number;
  /** pg_stat_statements calls for the bench database, when the extension is installed and loaded. */
  calls: number | null;
}

async function dbStats(db: pg.Pool, databaseName: string): Promise<DbStats> {
  await db.query('SELECT pg_stat_clear_snapshot()');
  const { rows } = await db.query(
    `SELECT xact_commit, tup_inserted, tup_updated, tup_deleted, tup_returned, tup_fetched
       FROM pg_stat_database WHERE datname = $1`,
    [databaseName],
  );
  let calls: number | null = null;
  try {
    const s = await db.query(
      `SELECT sum(calls) AS calls FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = $1)`,
      [databaseName],
    );
    calls = Number(s.rows[0].calls ?? 0);
  } catch {
    // Not installed in this database or not loaded by the server: the server's config is not ours to change.
  }
  const row = rows[0];
  return {
    xactCommit: Number(row.xact_commit),
    tupInserted: Number(row.tup_inserted),
    tupUpdated: Number(row.tup_updated),
    tupDeleted: Number(row.tup_deleted),
    tupReturned: Number(row.tup_returned),
    tupFetched: Number(row.tup_fetched),
    calls,
  };
}

// ---------------------------------------------------------------------------------------------
// report

function report(): void {
  const runs = settings.repeat;
  const fmt = (unit: string, v: number) =>
    !Number.isFinite(v)
      ? 'n/a'
      : unit === 'ms'
        ? v.toFixed(1)
        : unit === '×'
          ? v.toFixed(2)
          : unit === 'ms/flow' || unit === 'per flow'
            ? v.toFixed(2)
            : unit === 'req/s' || unit === 'flows/s' || unit === 'count'
              ? int(v)
              : v.toFixed(0);
  const rows = results.map((r) => {
    const sorted = [...r.values].sort((a, b) => a - b);
    return [
      `(${r.part}) ${r.figure}`,
      r.unit,
      fmt(r.unit, sorted[0]),
      fmt(r.unit, percentile(sorted, 0.5)),
      fmt(r.unit, sorted[sorted.length - 1]),
      String(sorted.length),
    ];
  });
  const header = ['figure', 'unit', 'min', 'median', 'max', 'runs'];
  log(`\n== bench:flows summary (${runs} run${runs === 1 ? '' : 's'} each${quick ? ', --quick' : ''}) ==`);
  for (const line of describeMachine()) log(line);
  log(table(header, rows));
  if (disturbed)
    log('WARNING: the app was not quiet before some windows (see above): those figures carry earlier backlog');
  if (flags.markdown) {
    log('\n```markdown');
    log(`| ${header.join(' | ')} |`);
    log(`| ${header.map((_, i) => (i < 2 ? '---' : '---:')).join(' | ')} |`);
    for (const row of rows) log(`| ${row.join(' | ')} |`);
    log('```');
  }
  if (backend !== 'both') {
    reportFigures(
      backend,
      results.map((r) => ({
        figure: `(${r.part}) ${r.figure}`,
        unit: r.unit,
        value: percentile(
          [...r.values].sort((a, b) => a - b),
          0.5,
        ),
      })),
    );
  }
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  requireBuilt();
  log(`bench:flows (queue backend: ${backend})`);
  for (const line of describeMachine()) log(line);
  log(
    `settings: parts ${[...settings.parts].join(',')}, repeat ${settings.repeat}, route duration ${settings.durationS} s ` +
      `(+${settings.warmupS} s warm-up), ${settings.connections} connections, flow window ${settings.windowS} s, drain ` +
      `${settings.drainMs / 1000} s, start rate ${settings.startRate}/s, bisect ${settings.bisect}${quick ? ', --quick' : ''}`,
  );
  log('CPU per window: app and client in % of one core (/proc, process.cpuUsage); others: busy time of the whole');
  log('machine not spent by the app, stub, client, bench database backends or Redis (% of all cores).');
  if (settings.parts.has('a')) await partA();
  if (settings.parts.has('b')) await partB();
  if (settings.parts.has('c')) await partC();
  if (settings.parts.has('d')) await partD();
  if (settings.parts.has('cost')) await partCost();
  if (settings.parts.has('tracing')) await partTracing();
  if (settings.parts.has('workers')) await partWorkers();
  report();
}

let exiting = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (exiting) return;
    exiting = true;
    process.stderr.write(`\n${signal}: stopping the app, the stub and the load generator, dropping the database\n`);
    void cleanUp().finally(() => process.exit(130));
  });
}

(backend === 'both'
  ? runOnEachBackend('bench:flows')
  : main()
      .then(() => cleanUp())
      .then(() => 0)
)
  .then((code) => process.exit(code))
  .catch(async (error: unknown) => {
    if (exiting) return; // Ctrl-C: the signal handler cleans up and exits
    process.stderr.write(
      `bench:flows failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    await cleanUp();
    process.exit(1);
  });
