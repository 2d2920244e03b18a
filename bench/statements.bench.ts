/**
 * `npm run bench:statements` — how many PostgreSQL round trips each step of one debt-payment flow
 * costs (docs/benchmarks.md). A count, not a timing: it does not depend on the machine's load, so
 * one run is the evidence.
 *
 * Boots the real app (test/support/test-app.ts, every role in one process, PAYMENT_GATEWAY=simulated)
 * in a fresh database and Redis prefix, and wraps `pg.Client.prototype.query`: every call made on
 * behalf of a step is counted against it. A step is an async context: one HTTP request (the
 * server's `request` event), one relay batch that claimed events, or one delivery job (named by its
 * subscriber). A call is one round trip (a prepared statement's parse/bind/execute go in one).
 *
 * A flow: POST /v1/payments → relay → charge → relay → payment-confirmed subscribers → relay →
 * debt-settled / citizen-cleared subscribers → licence issued. Flows run one at a time, each to
 * quiescence (no outbox row left, every delivery handled), so every count belongs to one flow.
 * Relay claims that found nothing are timing, not flow: reported apart.
 *
 * Knobs: BENCH_FLOWS (5 debt flows), BENCH_VERBOSE=1 (each statement of the last debt flow).
 */
import 'reflect-metadata';
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Server } from 'node:http';
import pg from 'pg';
import request from 'supertest';
import { PgSimChargeStore } from '../src/modules/payments/gateway/sim-charge.store.js';
import { DeliveryProcessor, Relay } from '../src/outbox/testing.js';
import type { Principal } from '../src/platform/index.js';
import { startTestApp, type TestApp } from '../test/support/test-app.js';

interface Step {
  name: string;
  calls: string[];
}

const steps = new AsyncLocalStorage<Step>();
/** Round trips per step name, of the flow being counted. */
let current = new Map<string, string[]>();
let emptyClaims = 0;

function record(step: Step): void {
  const calls = current.get(step.name) ?? [];
  calls.push(...step.calls);
  current.set(step.name, calls);
}

function sqlOf(args: unknown[]): string {
  const first = args[0] as string | { text?: string; name?: string };
  const text = typeof first === 'string' ? first : (first?.text ?? '');
  const name = typeof first === 'object' && first?.name ? `[${first.name}] ` : '';
  return name + text.replace(/\s+/g, ' ').trim().slice(0, 110);
}

function instrument(): void {
  const query = pg.Client.prototype.query as (...args: unknown[]) => unknown;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    steps.getStore()?.calls.push(sqlOf(args));
    return query.apply(this, args);
  } as typeof pg.Client.prototype.query;

  const relayBatch = Relay.prototype.relayBatch;
  Relay.prototype.relayBatch = async function (this: Relay, ...args: Parameters<Relay['relayBatch']>) {
    const step: Step = { name: 'relay (batches that claimed)', calls: [] };
    const claimed = await steps.run(step, () => relayBatch.apply(this, args));
    if (claimed > 0) record(step);
    else emptyClaims += step.calls.length;
    return claimed;
  };

  // The simulated gateway keeps its charges in PostgreSQL, standing in for the provider's own
  // store: counted apart, since with PAYMENT_GATEWAY=http these are the provider's, not the app's.
  const store = PgSimChargeStore.prototype as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  for (const method of ['find', 'findByGatewayRef', 'insert', 'findRefund', 'insertRefund']) {
    const original = store[method];
    store[method] = async function (this: unknown, ...args: unknown[]) {
      const step: Step = { name: 'simulated gateway (the provider’s store, not the app’s)', calls: [] };
      try {
        return await steps.run(step, () => original.apply(this, args));
      } finally {
        record(step);
      }
    };
  }

  const process = DeliveryProcessor.prototype.process;
  DeliveryProcessor.prototype.process = async function (this: DeliveryProcessor, ...args) {
    const step: Step = { name: `delivery ${args[0].data.subscriber}`, calls: [] };
    try {
      return await steps.run(step, () => process.apply(this, args));
    } finally {
      record(step);
    }
  };
}

/** Counts the server side of each HTTP request as a step named by its method and route. */
function instrumentServer(server: Server): void {
  const emit = server.emit.bind(server);
  server.emit = ((event: string, ...args: unknown[]) => {
    if (event !== 'request') return emit(event, ...args);
    const [req, res] = args as [{ method: string; url: string }, { on(e: string, f: () => void): void }];
    const route = req.url.replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, '{id}').replace(/\?.*$/, '');
    const step: Step = { name: `http ${req.method} ${route}`, calls: [] };
    res.on('finish', () => setImmediate(() => record(step)));
    return steps.run(step, () => emit(event, ...args));
  }) as typeof server.emit;
}

async function quiescent(db: pg.Client): Promise<void> {
  let quietRounds = 0;
  for (let i = 0; i < 600; i += 1) {
    const {
      rows: [{ busy }],
    } = await db.query(
      `SELECT (SELECT count(*) FROM outbox_message) + (SELECT count(*) FROM outbox_delivery
               WHERE state IN ('pending', 'enqueued'))::int AS busy`,
    );
    quietRounds = Number(busy) === 0 ? quietRounds + 1 : 0;
    // Two quiet reads 50 ms apart: a handler's appended event is visible before its delivery settles.
    if (quietRounds >= 2) return;
    await sleep(50);
  }
  throw new Error('the app did not settle within 30 s');
}

const service: Principal = { sub: 'bench-issuer', roles: ['service'] };

function auth(t: TestApp, principal: Principal): string {
  return `Bearer ${t.token(principal)}`;
}

async function expectStatus(res: request.Response, status: number, what: string): Promise<request.Response> {
  if (res.status !== status) throw new Error(`${what} answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res;
}

/** A citizen with one debt and a licence application blocked by it; returns what a payment needs. */
async function debtPaymentSetup(t: TestApp): Promise<{ citizen: Principal; debtId: string }> {
  const citizen: Principal = { sub: `citizen-${randomUUID().slice(0, 8)}`, roles: ['citizen'] };
  const debt = await expectStatus(
    await request(t.url)
      .post('/v1/debts')
      .set('Authorization', auth(t, service))
      .send({ citizenId: citizen.sub, reference: `ref-${randomUUID()}`, kind: 'fine', amount: 1000, currency: 'SAR' }),
    201,
    'POST /v1/debts',
  );
  await expectStatus(
    await request(t.url)
      .post('/v1/licences/applications')
      .set('Authorization', auth(t, citizen))
      .send({ citizenId: citizen.sub, activity: 'grocery', premisesAddress: '5 Tahlia St' }),
    201,
    'POST /v1/licences/applications',
  );
  return { citizen, debtId: debt.body.id };
}

async function payDebt(t: TestApp, citizen: Principal, debtId: string): Promise<void> {
  await expectStatus(
    await request(t.url)
      .post('/v1/payments')
      .set('Authorization', auth(t, citizen))
      .set('Idempotency-Key', randomUUID())
      .send({ purpose: 'debt', referenceId: debtId, amount: 1000, currency: 'SAR' }),
    202,
    'POST /v1/payments',
  );
}

/** Runs `flow` to quiescence; returns its round trips by step. */
async function counted(db: pg.Client, flow: () => Promise<void>): Promise<Map<string, string[]>> {
  current = new Map();
  await flow();
  await quiescent(db);
  const result = current;
  current = new Map();
  return result;
}

function report(title: string, flows: Array<Map<string, string[]>>): void {
  const names = [...new Set(flows.flatMap((f) => [...f.keys()]))].sort((a, b) =>
    a.startsWith('http') === b.startsWith('http') ? a.localeCompare(b) : a.startsWith('http') ? -1 : 1,
  );
  const width = Math.max(...names.map((n) => n.length), 20);
  console.log(`\n${title} (${flows.length} flows): round trips per flow, min–max over the flows`);
  const range = (values: number[]) => {
    const [min, max] = [Math.min(...values), Math.max(...values)];
    return min === max ? String(min) : `${min}–${max}`;
  };
  for (const name of names) {
    console.log(`  ${name.padEnd(width)}  ${range(flows.map((f) => f.get(name)?.length ?? 0)).padStart(5)}`);
  }
  const totals = flows.map((f) =>
    [...f].reduce((sum, [name, calls]) => sum + (name.startsWith('simulated') ? 0 : calls.length), 0),
  );
  console.log(`  ${'total (the app’s)'.padEnd(width)}  ${range(totals).padStart(5)}`);
}

function verbose(flow: Map<string, string[]>): void {
  for (const [name, calls] of flow) {
    console.log(`\n  ${name}:`);
    for (const sql of calls) console.log(`    ${sql}`);
  }
}

async function main(): Promise<void> {
  const flowCount = Number(process.env.BENCH_FLOWS ?? 5);
  instrument();
  const t = await startTestApp({ env: { RATE_LIMIT_PER_MINUTE: '1000000', LOG_LEVEL: 'error' } });
  instrumentServer(t.app.getHttpServer() as Server);
  const db = new pg.Client({ connectionString: t.config.databaseUrl });
  await db.connect();
  try {
    const setups: Array<Map<string, string[]>> = [];
    const flows: Array<Map<string, string[]>> = [];
    for (let i = 0; i < flowCount; i += 1) {
      let setup: { citizen: Principal; debtId: string } | undefined;
      setups.push(
        await counted(db, async () => {
          setup = await debtPaymentSetup(t);
        }),
      );
      flows.push(await counted(db, () => payDebt(t, setup!.citizen, setup!.debtId)));
      const [{ status }]: Array<{ status: string }> = (
        await db.query(`SELECT status FROM licences_application WHERE citizen_id = $1`, [setup!.citizen.sub])
      ).rows;
      if (status !== 'issued') throw new Error(`the flow ended with the licence application ${status}`);
    }
    report('setup: POST /v1/debts + POST /v1/licences/applications, and their deliveries', setups);
    report('debt-payment flow: POST /v1/payments → charged → confirmed → debt settled → licence issued', flows);
    console.log(`\nrelay claims that found nothing (timing, not flow): ${emptyClaims} round trips over the run`);
    if (process.env.BENCH_VERBOSE === '1') verbose(flows[flows.length - 1]);
  } finally {
    await db.end();
    await t.close();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
