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
  const warmup = params.warmupS > 0 ? await cannon(params.name, params.warmupS, params.connections) : undefined;
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
    /** 2xx answers including the warm-up: what the database must hold afterwards. */
    all2xx: result['2xx'] + (warmup?.['2xx'] ?? 0),
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
// parts (c), (d): order flows, open loop

const LOCATIONS = [
  { id: 'riyadh-store', name: 'Riyadh store', kind: 'store', lat: 24.71, lon: 46.68, handling: 400 },
  { id: 'dammam-warehouse', name: 'Dammam warehouse', kind: 'warehouse', lat: 26.42, lon: 50.09, handling: 150 },
  { id: 'jeddah-warehouse', name: 'Jeddah warehouse', kind: 'warehouse', lat: 21.54, lon: 39.17, handling: 150 },
];
let skus: string[] = [];

/** Three SKUs stocked at three locations (each order is a three-location routing problem). */
async function setupCatalogue() {
  skus = [`bench-kettle-${runId}`, `bench-mug-${runId}`, `bench-tray-${runId}`];
  for (const [i, sku] of skus.entries()) {
    await call('PUT', `/v1/catalog/skus/${sku}`, adminToken, { name: sku, unitPrice: 1500 + i * 700, currency: 'SAR' });
  }
  for (const location of LOCATIONS) {
    await call('PUT', `/v1/inventory/locations/${location.id}`, adminToken, {
      name: location.name,
      kind: location.kind,
      lat: location.lat,
      lon: location.lon,
      handlingCostPerUnit: location.handling,
      shippingCostPerKm: 1.2,
      fixedCostPerShipment: 1500,
    });
    for (const sku of skus) {
      await call('PUT', `/v1/inventory/locations/${location.id}/stock/${sku}`, adminToken, { onHand: 100_000_000 });
    }
  }
  return { skus: skus.length, locations: LOCATIONS.length };
}

function orderBody(customerId: string, i: number) {
  return {
    customerId,
    lines: [
      { sku: skus[i % skus.length], quantity: 1 + (i % 3) },
      { sku: skus[(i + 1) % skus.length], quantity: 1 },
    ],
    // Spread over the country, so plans differ.
    shipTo: { lat: 21 + ((i * 7) % 60) / 10, lon: 39 + ((i * 13) % 110) / 10 },
  };
}

async function placeOrder(i: number): Promise<{ reply: Reply; token: string }> {
  const customerId = `bench-o-${unique()}`;
  const token = bearer(customerId, ['customer']);
  const reply = await request('POST', '/v1/orders', token, orderBody(customerId, i), {
    'idempotency-key': `bench-${unique()}`,
  });
  return { reply, token };
}

/**
 * Watches orders until the app has routed them (status no longer `placed`): one query every 10 ms
 * for all of them, straight from PostgreSQL, so waiting costs the app nothing (a client polling
 * GET /v1/orders/{id} would add its own load to what is measured).
 */
function reservationWatcher() {
  if (!db) throw new Error('BENCH_DATABASE_URL is required for order flows');
  const waiting = new Map<string, (order: { status: string; total: number }) => void>();
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      if (waiting.size > 0) {
        const { rows } = await db.query<{ id: string; status: string; total: string }>(
          `SELECT id, status, total FROM fulfilment_order WHERE id = ANY($1::uuid[]) AND status <> 'placed'`,
          [[...waiting.keys()]],
        );
        for (const row of rows) {
          waiting.get(row.id)?.({ status: row.status, total: Number(row.total) });
          waiting.delete(row.id);
        }
      }
      await sleep(10);
    }
  })();
  return {
    routed: (id: string) => new Promise<{ status: string; total: number }>((resolve) => waiting.set(id, resolve)),
    /** Stops watching; orders still waiting resolve as `unrouted`. */
    async stop() {
      stopped = true;
      await loop;
      for (const resolve of waiting.values()) resolve({ status: 'unrouted', total: 0 });
      waiting.clear();
    },
  };
}

async function orderFlows(params: { rate: number; count: number }) {
  const orderIds: string[] = [];
  const statusCodes: Record<string, number> = {};
  const routedStatus: Record<string, number> = {};
  const lags: number[] = [];
  let failures = 0;
  const watcher = reservationWatcher();
  const meter = cpuMeter();
  const windowStart = Date.now() + 20;
  // Orders the app has not routed a minute after the window are given up on (and reported).
  const giveUp = setTimeout(() => void watcher.stop(), (params.count * 1000) / params.rate + 60_000);
  await openLoop(params.count, params.rate, windowStart, async (i) => {
    lags.push(Date.now() - (windowStart + (i * 1000) / params.rate));
    try {
      const { reply, token } = await placeOrder(i);
      statusCodes[`order ${reply.status}`] = (statusCodes[`order ${reply.status}`] ?? 0) + 1;
      if (reply.status !== 202) return;
      const order = JSON.parse(reply.body) as { id: string; total: number };
      orderIds.push(order.id);
      const routed = await watcher.routed(order.id);
      routedStatus[routed.status] = (routedStatus[routed.status] ?? 0) + 1;
      if (routed.status !== 'reserved') return;
      const paid = await request(
        'POST',
        '/v1/payments',
        token,
        { purpose: 'order', referenceId: order.id, amount: order.total, currency: 'SAR' },
        { 'idempotency-key': `bench-${unique()}` },
      );
      statusCodes[`payment ${paid.status}`] = (statusCodes[`payment ${paid.status}`] ?? 0) + 1;
    } catch {
      failures++;
    }
  });
  clearTimeout(giveUp);
  await watcher.stop();
  const windowEnd = windowStart + (params.count * 1000) / params.rate;
  return {
    windowStart,
    windowEnd,
    orderIds,
    statusCodes,
    routedStatus,
    failures,
    sendLagP99: percentile(lags, 0.99),
    cpu: meter(),
  };
}

/**
 * Part (d): the p99 of an authenticated GET offered at `probeRate` (open loop, latency from each
 * request's scheduled time), first with the app idle, then while a burst of `burst` orders placed at
 * once is being routed (until the last of them leaves `placed`).
 */
async function burstProbe(params: { probeRate: number; idleS: number; burst: number; burstConcurrency: number }) {
  if (routeFixtures.length === 0) throw new Error('setupRoutes first');
  const watcher = reservationWatcher();
  let probing = true;
  const latencies: number[] = [];
  const statusCodes: Record<string, number> = {};
  const probe = (async () => {
    const t0 = Date.now();
    const inFlight: Array<Promise<void>> = [];
    for (let i = 0; probing; i++) {
      const due = t0 + (i * 1000) / params.probeRate;
      if (due - Date.now() > 1) await sleep(due - Date.now());
      const f = routeFixtures[i % routeFixtures.length];
      inFlight.push(
        request('GET', `/v1/debts/${f.debtId}`, f.token).then(
          (reply) => {
            statusCodes[reply.status] = (statusCodes[reply.status] ?? 0) + 1;
            latencies.push(Date.now() - due);
          },
          () => {
            statusCodes.error = (statusCodes.error ?? 0) + 1;
          },
        ),
      );
    }
    await Promise.all(inFlight);
  })();
  const meter = cpuMeter();
  await sleep(params.idleS * 1000);
  const idle = latencies.splice(0);
  const burstStart = Date.now();
  const ids: string[] = [];
  const placedStatus: Record<string, number> = {};
  await pool(params.burst, params.burstConcurrency, async (i) => {
    const { reply } = await placeOrder(i);
    placedStatus[reply.status] = (placedStatus[reply.status] ?? 0) + 1;
    if (reply.status === 202) ids.push((JSON.parse(reply.body) as { id: string }).id);
  });
  const placedMs = Date.now() - burstStart;
  const giveUp = setTimeout(() => void watcher.stop(), 120_000);
  await Promise.all(ids.map((id) => watcher.routed(id)));
  clearTimeout(giveUp);
  const routedMs = Date.now() - burstStart;
  probing = false;
  await probe;
  await watcher.stop();
  const during = latencies.splice(0);
  return {
    idleP50: percentile(idle, 0.5),
    idleP99: percentile(idle, 0.99),
    idleCount: idle.length,
    burstP50: percentile(during, 0.5),
    burstP99: percentile(during, 0.99),
    burstCount: during.length,
    placedMs,
    routedMs,
    orders: ids.length,
    placedStatus,
    statusCodes,
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
  setupCatalogue,
  orderFlows,
  burstProbe,
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
