/**
 * The load generator of `bench:flows`, forked by bench/flows/main.ts and driven over IPC: it never
 * runs inside the app's process. Each job sets up fixtures through the public API or measures a
 * window, and reports this process's own CPU use over that window (`process.cpuUsage`), so a
 * figure limited by the client rather than the app is visible.
 *
 * Closed loop (part a): autocannon, 32 connections, every request's body and Idempotency-Key unique.
 * Open loop (parts b, c, d): requests are sent at their scheduled times whether or not earlier ones
 * have been answered, so a slow app shows up as latency and backlog, not as a lower offered rate.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import pg from 'pg';
import type { AppConfig } from '../../src/config/index.js';
import type { Role } from '../../src/platform/auth/principal.js';
import { TokenService } from '../../src/platform/auth/token.service.js';
import { percentile } from '../stats.js';

const baseUrl = new URL(process.env.BENCH_APP_URL ?? 'http://127.0.0.1:3000');
const tokens = new TokenService({
  authJwtSecret: process.env.BENCH_JWT_SECRET ?? '',
  authJwtIssuer: undefined,
  authJwtAudience: undefined,
  authJwtMaxLifetimeS: 86_400,
} as AppConfig);
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
const db = process.env.BENCH_DATABASE_URL
  ? new pg.Pool({ connectionString: process.env.BENCH_DATABASE_URL, max: 2 })
  : null;

const bearer = (sub: string, roles: Role[]) => `Bearer ${tokens.sign({ sub, roles }, 86_400)}`;
const service = bearer('bench-issuer', ['service']);
const adminToken = bearer('bench-admin', ['admin']);

interface Reply {
  status: number;
  body: string;
}

function request(method: string, path: string, auth: string, body?: unknown, headers: Record<string, string> = {}) {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise<Reply>((resolve, reject) => {
    const req = http.request(
      {
        host: baseUrl.hostname,
        port: baseUrl.port,
        method,
        path,
        agent,
        headers: {
          authorization: auth,
          ...(payload === undefined
            ? {}
            : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
          ...headers,
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

async function call<T>(method: string, path: string, auth: string, body?: unknown, headers?: Record<string, string>) {
  const reply = await request(method, path, auth, body, headers);
  if (reply.status < 200 || reply.status >= 300) throw new Error(`${method} ${path} → ${reply.status}: ${reply.body}`);
  return JSON.parse(reply.body) as T;
}

/** Runs `fn(i)` for i in [0, n) from `concurrency` loops. */
async function pool(n: number, concurrency: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, concurrency) }, async () => {
      for (let i = next++; i < n; i = next++) await fn(i);
    }),
  );
}

/** This process's CPU over a window, in ms and as % of one core. */
function cpuMeter() {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  return () => {
    const used = process.cpuUsage(cpu0);
    const wallMs = performance.now() - t0;
    const cpuMs = (used.user + used.system) / 1000;
    return { cpuMs, wallMs, pctOfCore: (cpuMs / wallMs) * 100 };
  };
}
export type ClientCpu = ReturnType<ReturnType<typeof cpuMeter>>;

const runId = randomUUID().slice(0, 8);
let serial = 0;
const unique = () => `${runId}-${(serial++).toString(36)}`;

// ---------------------------------------------------------------------------------------------
// part (a): routes, closed loop

interface RouteFixture {
  citizenId: string;
  token: string;
  debtId: string;
}
let routeFixtures: RouteFixture[] = [];

async function setupRoutes(params: { citizens: number }) {
  routeFixtures = [];
  await pool(params.citizens, 8, async () => {
    const citizenId = `bench-c-${unique()}`;
    const debt = await call<{ id: string }>('POST', '/v1/debts', service, {
      citizenId,
      reference: `BENCH-ROUTE-${unique()}`,
      kind: 'tax',
      // Large enough that every payment of 1 minor unit in the run stays within the outstanding amount.
      amount: 1_000_000_000_000,
      currency: 'SAR',
    });
    routeFixtures.push({ citizenId, token: bearer(citizenId, ['citizen']), debtId: debt.id });
  });
  return { citizens: routeFixtures.length };
}

type RouteName = 'health' | 'get-debt' | 'post-debt' | 'post-payment' | 'get-order';

function routeRequest(name: RouteName): autocannon.Request {
  let i = 0;
  const next = () => routeFixtures[i++ % routeFixtures.length];
  switch (name) {
    case 'health':
      return { method: 'GET', path: '/health/live' };
    case 'get-debt':
      return {
        method: 'GET',
        setupRequest: (req) => {
          const f = next();
          return { ...req, path: `/v1/debts/${f.debtId}`, headers: { authorization: f.token } };
        },
      };
    case 'post-debt':
      return {
        method: 'POST',
        setupRequest: (req) => ({
          ...req,
          path: '/v1/debts',
          headers: { authorization: service, 'content-type': 'application/json' },
          body: JSON.stringify({
            citizenId: next().citizenId,
            reference: `BENCH-DEBT-${unique()}`,
            kind: 'fine',
            amount: 12_345,
            currency: 'SAR',
          }),
        }),
      };
    case 'post-payment':
      return {
        method: 'POST',
        setupRequest: (req) => {
          const f = next();
          return {
            ...req,
            path: '/v1/payments',
            headers: {
              authorization: f.token,
              'content-type': 'application/json',
              'idempotency-key': `bench-${unique()}`,
            },
            body: JSON.stringify({ purpose: 'debt', referenceId: f.debtId, amount: 1, currency: 'SAR' }),
          };
        },
      };
    default:
      throw new Error(`unknown route ${name}`);
  }
}

function cannon(name: RouteName, durationS: number, connections: number) {
  return autocannon({
    url: baseUrl.origin,
    connections,
    duration: durationS,
    requests: [routeRequest(name)],
    timeout: 10,
  });
}

async function route(params: { name: RouteName; durationS: number; warmupS: number; connections: number }) {
  if (params.warmupS > 0) await cannon(params.name, params.warmupS, params.connections);
  const meter = cpuMeter();
  const result = await cannon(params.name, params.durationS, params.connections);
  const cpu = meter();
  const statusCodes: Record<string, number> = {};
  for (const [code, stat] of Object.entries(result.statusCodeStats ?? {})) statusCodes[code] = stat.count ?? 0;
  return {
    reqPerS: result.requests.total / result.duration,
    total: result.requests.total,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes,
    cpu,
  };
}

// ---------------------------------------------------------------------------------------------
// part (b): debt-payment flows, open loop

interface DebtFlow {
  token: string;
  debtId: string;
  amount: number;
}
let debtFlows: DebtFlow[] = [];

async function setupDebtFlows(params: { count: number; concurrency: number }) {
  debtFlows = [];
  await pool(params.count, params.concurrency, async () => {
    const citizenId = `bench-f-${unique()}`;
    const token = bearer(citizenId, ['citizen']);
    const amount = 5000;
    const debt = await call<{ id: string }>('POST', '/v1/debts', service, {
      citizenId,
      reference: `BENCH-FLOW-${unique()}`,
      kind: 'fee',
      amount,
      currency: 'SAR',
    });
    const application = await call<{ status: string }>('POST', '/v1/licences/applications', token, {
      citizenId,
      activity: 'bench bakery',
      premisesAddress: '1 Bench St',
    });
    if (application.status !== 'blocked') throw new Error(`application not blocked: ${application.status}`);
    debtFlows.push({ token, debtId: debt.id, amount });
  });
  return { flows: debtFlows.length };
}

/** Sends `send(i)` for i in [0, count) at `rate`/s from `startAt` (epoch ms), open loop. */
async function openLoop(count: number, rate: number, startAt: number, send: (i: number) => Promise<void>) {
  const inFlight: Array<Promise<void>> = [];
  for (let i = 0; i < count; i++) {
    const due = startAt + (i * 1000) / rate;
    const wait = due - Date.now();
    if (wait > 1) await sleep(wait);
    inFlight.push(send(i));
  }
  await Promise.all(inFlight);
}

async function payFlows(params: { rate: number; count: number }) {
  if (params.count > debtFlows.length) throw new Error(`only ${debtFlows.length} flows set up`);
  const flows = debtFlows.splice(0, params.count);
  const paymentIds: string[] = [];
  const statusCodes: Record<string, number> = {};
  const latencies: number[] = [];
  const lags: number[] = [];
  let failures = 0;
  const meter = cpuMeter();
  const windowStart = Date.now() + 20;
  await openLoop(flows.length, params.rate, windowStart, async (i) => {
    const f = flows[i];
    const due = windowStart + (i * 1000) / params.rate;
    const sent = Date.now();
    lags.push(sent - due);
    try {
      const reply = await request(
        'POST',
        '/v1/payments',
        f.token,
        { purpose: 'debt', referenceId: f.debtId, amount: f.amount, currency: 'SAR' },
        { 'idempotency-key': `bench-${unique()}` },
      );
      latencies.push(Date.now() - due);
      statusCodes[reply.status] = (statusCodes[reply.status] ?? 0) + 1;
      if (reply.status === 202) paymentIds.push((JSON.parse(reply.body) as { id: string }).id);
    } catch {
      failures++;
    }
  });
  const windowEnd = windowStart + (flows.length * 1000) / params.rate;
  return {
    windowStart,
    windowEnd,
    paymentIds,
    statusCodes,
    failures,
    /** From each request's scheduled send time to its answer (client view, includes queueing). */
    postP50: percentile(latencies, 0.5),
    postP99: percentile(latencies, 0.99),
    /** How late the generator sent (its own lag: large values mean the client was the limit). */
    sendLagP99: percentile(lags, 0.99),
    cpu: meter(),
  };
}

// ---------------------------------------------------------------------------------------------
// IPC

const jobs: Record<string, (params: never) => Promise<unknown>> = {
  setupRoutes,
  route,
  setupDebtFlows,
  payFlows,
};

process.on('message', (message: { id: number; job: string; params: object }) => {
  const job = jobs[message.job];
  void (async () => {
    try {
      if (!job) throw new Error(`unknown job ${message.job}`);
      const result = await job(message.params as never);
      process.send?.({ id: message.id, result });
    } catch (error) {
      process.send?.({ id: message.id, error: error instanceof Error ? error.message : String(error) });
    }
  })();
});
// The parent went away (Ctrl-C, crash): no orphan load generator.
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => {
  void db?.end();
  process.exit(0);
});
export { adminToken, db };
