/**
 * Drives both flows through the REST API of a running app (`npm run dev`) and prints each step as it
 * happens. Debts Hub: debts registered → licence blocked → paid (one partially) → cleared → issued.
 * Orders: SKU and stock at two locations → order placed → reserved by the optimiser → paid → shipped.
 * Then what an operator does when something breaks, through the admin API only: the gateway starts
 * refusing charges (the simulator's faults, `PATCH /admin/gateway-simulator`, or the stub provider's
 * settings), a payment's charge becomes a dead letter, the gateway is fixed, the dead letter is
 * replayed and the payment confirmed; that payment's message journey as a tree; a reconciler's run
 * and findings; a projection rebuilt from the ledger, with its progress (docs/adr/0037).
 *   npm run demo                       (DEMO_URL defaults to http://localhost:3000)
 * Against the stub provider (README, "Payments through the stub provider"), set DEMO_GATEWAY_STUB_URL
 * (e.g. http://127.0.0.1:4010) to also print the charge the provider took for each payment; the
 * failure is then made at the stub (`PATCH /_stub/settings`).
 * Every call goes through the typed client generated from the app's OpenAPI document
 * (`scripts/api/`): a route, parameter or field the document does not have fails `tsc`.
 */
import { randomUUID } from 'node:crypto';
import { apiClient, ok, type Schema } from './api/client.js';
import { loadConfig } from '../src/config/app-config.js';
import type { Role } from '../src/platform/auth/principal.js';
import { TokenService } from '../src/platform/auth/token.service.js';

const baseUrl = process.env.DEMO_URL ?? 'http://localhost:3000';
const stubUrl = process.env.DEMO_GATEWAY_STUB_URL;
// The demo only signs tokens: which gateway the app charges through is the app's setting, so the
// shell's PAYMENT_GATEWAY / GATEWAY_* (copied from the app's) need not be complete here.
const tokens = new TokenService(loadConfig({ ...process.env, PAYMENT_GATEWAY: 'simulated' }));
const started = Date.now();
const citizenId = `demo-citizen-${randomUUID().slice(0, 8)}`;

/** The API as one principal: every call carries its bearer token. */
const as = (sub: string, roles: Role[]) => apiClient(baseUrl, `Bearer ${tokens.sign({ sub, roles })}`);
const service = as('demo-issuer', ['service']);
const citizen = as(citizenId, ['citizen']);
const customerId = `demo-customer-${randomUUID().slice(0, 8)}`;
const customer = as(customerId, ['customer']);
const admin = as('demo-admin', ['admin']);
const idempotencyKey = () => ({ header: { 'Idempotency-Key': randomUUID() } });

/** The random tail of a uuid v7 (its head is a timestamp, the same for every id made in one run). */
const short = (id: string) => id.slice(-8);

function step(message: string): void {
  const seconds = ((Date.now() - started) / 1000).toFixed(2).padStart(6);
  process.stdout.write(`[+${seconds}s] ${message}\n`);
}

/** Polls until `done` holds, printing nothing meanwhile; fails after `timeoutMs`. */
async function until<T>(
  what: string,
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

type Debt = Schema<'DebtResponse'>;

/** With DEMO_GATEWAY_STUB_URL: what the stub provider recorded for the payment's charge. */
async function showProviderCharge(paymentId: string): Promise<void> {
  if (stubUrl === undefined) return;
  const response = await fetch(`${stubUrl}/_stub/charges/${paymentId}`);
  if (!response.ok) return step(`stub provider: no answer (${response.status})`);
  const report = (await response.json()) as {
    chargeRequests: number;
    lookups: number;
    charge: { id: string; status: string; reference: string } | null;
  };
  step(
    report.charge
      ? `stub provider: charge ${report.charge.id} ${report.charge.status}, reference "${report.charge.reference}" (${report.chargeRequests} charge request(s), ${report.lookups} lookup(s))`
      : 'stub provider: no charge taken',
  );
}

const paymentOf = (id: string) => ok(citizen.GET('/v1/payments/{id}', { params: { path: { id } } }));
const debtOf = (id: string) => ok(citizen.GET('/v1/debts/{id}', { params: { path: { id } } }));
const orderOf = (id: string) => ok(customer.GET('/v1/orders/{id}', { params: { path: { id } } }));

async function pay(debt: Debt, amount: number): Promise<void> {
  const payment = await ok(
    citizen.POST('/v1/payments', {
      params: idempotencyKey(),
      body: { purpose: 'debt', referenceId: debt.id, amount, currency: 'SAR' },
    }),
  );
  step(`payment ${short(payment.id)} of ${amount / 100} SAR accepted (${payment.status})`);
  const confirmed = await until(
    'payment confirmation',
    () => paymentOf(payment.id),
    (p) => p.status !== 'pending',
  );
  step(`payment ${short(payment.id)} ${confirmed.status}`);
  await showProviderCharge(payment.id);
  const after = await until(
    'the debt to reflect the payment',
    () => debtOf(debt.id),
    (d) => d.outstanding <= debt.outstanding - amount,
  );
  step(`debt ${short(debt.id)}: ${after.outstanding / 100} SAR outstanding (${after.status})`);
  debt.outstanding = after.outstanding;
}

async function main(): Promise<void> {
  step(`Debts Hub demo against ${baseUrl}, citizen ${citizenId}`);
  const ready = await fetch(`${baseUrl}/health/ready`);
  if (!ready.ok) throw new Error(`GET /health/ready → ${ready.status}: ${await ready.text()}`);

  const fine = await ok(
    service.POST('/v1/debts', {
      body: { citizenId, reference: `DEMO-FINE-${randomUUID()}`, kind: 'fine', amount: 30000, currency: 'SAR' },
    }),
  );
  const fee = await ok(
    service.POST('/v1/debts', {
      body: { citizenId, reference: `DEMO-FEE-${randomUUID()}`, kind: 'fee', amount: 12000, currency: 'SAR' },
    }),
  );
  step(`registered a 300 SAR fine (${short(fine.id)}) and a 120 SAR fee (${short(fee.id)})`);

  const application = await ok(
    citizen.POST('/v1/licences/applications', {
      body: { citizenId, activity: 'coffee roastery', premisesAddress: '12 Olaya St, Riyadh' },
    }),
  );
  step(
    `licence application ${short(application.id)}: ${application.status}, blocked by ${application.blockingDebtIds.length} debts`,
  );

  await pay(fine, 10000);
  await pay(fine, 20000);
  await pay(fee, 12000);

  const issued = await until(
    'the licence',
    () => ok(citizen.GET('/v1/licences/applications/{id}', { params: { path: { id: application.id } } })),
    (a) => a.status === 'issued',
  );
  step(`citizen cleared → licence ${issued.licenceNumber} issued`);
  await orderScenario();
  const { paymentId, correlationId } = await failureScenario();
  await journeyTree(paymentId, correlationId);
  await reconcilerScenario();
  await rebuildScenario();
  step('done');
}

async function orderScenario(): Promise<void> {
  step(`order flow, customer ${customerId}`);
  const sku = `DEMO-KETTLE-${randomUUID().slice(0, 6)}`;
  await ok(
    admin.PUT('/v1/catalog/skus/{sku}', {
      params: { path: { sku } },
      body: { name: 'Demo kettle', unitPrice: 8900, currency: 'SAR' },
    }),
  );
  const locations = [
    { id: 'demo-riyadh-store', name: 'Riyadh store', kind: 'store', lat: 24.71, lon: 46.68, onHand: 1 },
    { id: 'demo-dammam-warehouse', name: 'Dammam warehouse', kind: 'warehouse', lat: 26.42, lon: 50.09, onHand: 20 },
  ] as const;
  for (const { id, onHand, ...location } of locations) {
    await ok(
      admin.PUT('/v1/inventory/locations/{locationId}', {
        params: { path: { locationId: id } },
        body: {
          ...location,
          handlingCostPerUnit: location.kind === 'store' ? 400 : 150,
          shippingCostPerKm: 1.2,
          fixedCostPerShipment: 1500,
        },
      }),
    );
    await ok(
      admin.PUT('/v1/inventory/locations/{locationId}/stock/{sku}', {
        params: { path: { locationId: id, sku } },
        body: { onHand },
      }),
    );
  }
  step(`SKU ${sku} at 89 SAR: 1 unit in the Riyadh store, 20 in the Dammam warehouse`);

  const order = await ok(
    customer.POST('/v1/orders', {
      params: idempotencyKey(),
      body: { customerId, lines: [{ sku, quantity: 3 }], shipTo: { lat: 24.77, lon: 46.74 } },
    }),
  );
  step(`order ${short(order.id)} placed: 3 × ${sku}, total ${order.total / 100} SAR (${order.status})`);
  const reserved = await until(
    'the reservation',
    () => orderOf(order.id),
    (o) => o.status !== 'placed',
  );
  const plan = reserved.allocations.map((a) => `${a.quantity} from ${a.locationId}`).join(', ');
  step(
    `order ${reserved.status}: ${plan}; routing cost ${reserved.routing?.cost} (${reserved.routing?.solver}, ${reserved.routing?.solverMs} ms)`,
  );

  const payment = await ok(
    customer.POST('/v1/payments', {
      params: idempotencyKey(),
      body: { purpose: 'order', referenceId: order.id, amount: order.total, currency: 'SAR' },
    }),
  );
  step(`payment ${short(payment.id)} of ${payment.amount / 100} SAR accepted (${payment.status})`);
  const shipped = await until(
    'the shipment',
    () => orderOf(order.id),
    (o) => o.status === 'shipped' || o.status === 'cancelled',
  );
  step(`order ${shipped.status} at ${shipped.shippedAt} (payment ${shipped.paymentStatus})`);
  await showProviderCharge(payment.id);
  const stock = await ok(admin.GET('/v1/inventory/skus/{sku}', { params: { path: { sku } } }));
  step(
    `stock now: ${stock.locations.map((l) => `${l.locationId} ${l.onHand} on hand, ${l.reserved} reserved`).join('; ')}`,
  );
}

// ---------------------------------------------------------------------------------------------
// When something breaks: what an operator sees and does, through the admin API

type Journey = Schema<'MessageJourneyResponse'>;
type JourneyDelivery = Schema<'JourneyDeliveryResponse'>;

const CHARGE_SUBSCRIBER = 'payments.charge-gateway-when-payment-requested';

/** Every journey of one correlation id (the request and all it caused), oldest first. */
async function journeysOf(correlationId: string): Promise<Journey[]> {
  const all: Journey[] = [];
  let cursor: string | undefined;
  do {
    const page = await ok(admin.GET('/admin/messages', { params: { query: { correlationId, limit: 200, cursor } } }));
    all.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return all;
}

/**
 * Makes the gateway refuse charge requests, and undoes it. The app's own simulator has a
 * development-only switch (`PATCH /admin/gateway-simulator`, mounted only when GATEWAY_SIM_CONTROL is
 * on, which production refuses); the stub provider has its settings. Either way the app meets a
 * real refusal from its gateway adapter and handles it as it would in production.
 */
interface GatewayFault {
  where: string;
  refuse(): Promise<void>;
  heal(): Promise<void>;
}

async function gatewayFault(): Promise<GatewayFault> {
  if (stubUrl !== undefined) {
    const patch = async (rejectRate: number) => {
      const response = await fetch(`${stubUrl}/_stub/settings`, {
        method: 'PATCH',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ rejectRate }),
      });
      if (!response.ok) throw new Error(`stub provider settings → ${response.status}: ${await response.text()}`);
    };
    const before = ((await (await fetch(`${stubUrl}/_stub/settings`)).json()) as { rejectRate: number }).rejectRate;
    return { where: `the stub provider at ${stubUrl}`, refuse: () => patch(1), heal: () => patch(before) };
  }
  const { data, response } = await admin.GET('/admin/gateway-simulator');
  if (response.status === 404) {
    throw new Error(
      'the app serves no /admin/gateway-simulator: it runs with GATEWAY_SIM_CONTROL=false or PAYMENT_GATEWAY=http ' +
        '(then set DEMO_GATEWAY_STUB_URL to the stub provider)',
    );
  }
  if (data === undefined) throw new Error(`GET /admin/gateway-simulator → ${response.status}`);
  const before = data.faults.rejectRate;
  const set = async (rejectRate: number) =>
    void (await ok(admin.PATCH('/admin/gateway-simulator', { body: { rejectRate } })));
  return { where: "the app's payment simulator", refuse: () => set(1), heal: () => set(before) };
}

async function failureScenario(): Promise<{ paymentId: string; correlationId: string }> {
  step('── a payment fails at the gateway, and heals ──');
  const debt = await ok(
    service.POST('/v1/debts', {
      body: { citizenId, reference: `DEMO-PERMIT-${randomUUID()}`, kind: 'fee', amount: 7500, currency: 'SAR' },
    }),
  );
  step(`registered a 75 SAR permit fee (${short(debt.id)})`);

  const fault = await gatewayFault();
  await fault.refuse();
  let healed = false;
  try {
    step(`the gateway now refuses every charge request (422, not retryable), set at ${fault.where}`);
    const accepted = await citizen.POST('/v1/payments', {
      params: idempotencyKey(),
      body: { purpose: 'debt', referenceId: debt.id, amount: 7500, currency: 'SAR' },
    });
    const payment = await ok(Promise.resolve(accepted));
    const correlationId = accepted.response.headers.get('x-correlation-id');
    if (!correlationId) throw new Error('POST /v1/payments answered without x-correlation-id');
    step(`payment ${short(payment.id)} of 75 SAR accepted (${payment.status}), correlation id ${correlationId}`);

    const charge = await until(
      'the charge to be dead-lettered',
      async () => (await journeysOf(correlationId)).find((j) => j.envelope.type === 'payments.payment-requested'),
      (j) => j?.deliveries.some((d) => d.subscriber === CHARGE_SUBSCRIBER && d.state === 'dead') ?? false,
    );
    const requested = charge!;
    const dead = await ok(
      admin.GET('/admin/dead-letters', { params: { query: { subscriber: CHARGE_SUBSCRIBER, limit: 200 } } }),
    );
    const letter = dead.items.find((d) => d.eventId === requested.envelope.id);
    if (!letter) throw new Error(`no dead letter listed for event ${requested.envelope.id}`);
    step(
      `dead letter ${short(letter.id)}: ${letter.subscriber} after ${letter.attempts} attempt(s): ${letter.errorClass}: ${letter.errorMessage}`,
    );
    const stuck = await paymentOf(payment.id);
    const owed = await debtOf(debt.id);
    step(
      `payment ${short(payment.id)} still ${stuck.status}; debt ${short(debt.id)} still ${owed.outstanding / 100} SAR outstanding`,
    );

    await fault.heal();
    healed = true;
    step(`cause fixed: the gateway accepts charges again (${fault.where})`);
    const replay = await ok(admin.POST('/admin/dead-letters/{id}/replay', { params: { path: { id: letter.id } } }));
    step(`POST /admin/dead-letters/${short(letter.id)}/replay → replayed ${replay.replayed} (same event id)`);
    const confirmed = await until(
      'the replayed payment',
      () => paymentOf(payment.id),
      (p) => p.status !== 'pending',
    );
    step(`payment ${short(payment.id)} ${confirmed.status} after the replay`);
    await showProviderCharge(payment.id);
    const settled = await until(
      'the debt to be settled',
      () => debtOf(debt.id),
      (d) => d.outstanding === 0,
    );
    step(`debt ${short(debt.id)}: ${settled.outstanding / 100} SAR outstanding (${settled.status})`);
    const after = await ok(
      admin.GET('/admin/dead-letters', {
        params: { query: { subscriber: CHARGE_SUBSCRIBER, status: 'replayed', limit: 200 } },
      }),
    );
    const replayed = after.items.find((d) => d.id === letter.id);
    step(`dead letter ${short(letter.id)} is now ${replayed?.status ?? 'not listed as replayed'}`);
    return { paymentId: payment.id, correlationId };
  } finally {
    if (!healed) await fault.heal();
  }
}

const ms = (from: string | null, to: string | null) =>
  from && to ? `${Math.max(0, new Date(to).getTime() - new Date(from).getTime())} ms` : '?';

function deliveryLine(d: JourneyDelivery, occurredAt: string): string {
  const outcome =
    d.state === 'handled'
      ? `handled ${ms(occurredAt, d.handledAt)} after the event`
      : d.state === 'dead'
        ? `DEAD: ${d.lastError ?? d.deadLetter?.reason}`
        : d.state;
  const history = [
    `${d.attempts} attempt${d.attempts === 1 ? '' : 's'}`,
    d.redrives > 0 ? `${d.redrives} re-drive(s)` : '',
    d.deadLetter
      ? `dead letter ${short(d.deadLetter.id)} ${d.deadLetter.reason}, ${d.deadLetter.status}${d.deadLetter.replayCount ? ` ×${d.deadLetter.replayCount}` : ''}`
      : '',
  ].filter(Boolean);
  return `${d.state === 'handled' ? '✓' : d.state === 'dead' ? '✗' : '…'} ${d.subscriber} [${d.lane}] ${outcome} (${history.join(', ')})`;
}

/** The payment's message journey: each event, its deliveries, and the events its handlers appended. */
async function journeyTree(paymentId: string, correlationId: string): Promise<void> {
  step(`── the message journey of payment ${short(paymentId)} (GET /admin/messages?correlationId=…) ──`);
  // The last events (licence, projections) may still be on their way: wait until every delivery is done.
  const journeys = await until(
    'the journey to settle',
    () => journeysOf(correlationId),
    (js) => js.length > 0 && js.every((j) => j.relayedAt !== null && j.deliveries.every((d) => d.state === 'handled')),
    15_000,
  ).catch(() => journeysOf(correlationId));
  const byId = new Map(journeys.map((j) => [j.envelope.id, j]));
  const roots = journeys.filter((j) => j.envelope.causationId === null || !byId.has(j.envelope.causationId));
  const lines: string[] = [];
  const render = (j: Journey, prefix: string, last: boolean, root: boolean) => {
    const head = root ? '' : `${prefix}${last ? '└─ ' : '├─ '}`;
    const inner = root ? '' : `${prefix}${last ? '   ' : '│  '}`;
    lines.push(
      `${head}${j.envelope.type} v${j.envelope.version} · event ${short(j.envelope.id)} · relayed ${ms(j.envelope.occurredAt, j.relayedAt)} after commit`,
    );
    const children = j.causedEvents.map((c) => byId.get(c.id)).filter((c): c is Journey => c !== undefined);
    const items: Array<{ line?: string; child?: Journey }> = [
      ...j.deliveries.map((d) => ({ line: deliveryLine(d, j.envelope.occurredAt) })),
      ...children.map((child) => ({ child })),
    ];
    items.forEach((item, i) => {
      const isLast = i === items.length - 1;
      if (item.line) lines.push(`${inner}${isLast ? '└─ ' : '├─ '}${item.line}`);
      else render(item.child!, inner, isLast, false);
    });
  };
  for (const root of roots) render(root, '', true, true);
  for (const line of lines) process.stdout.write(`           ${line}\n`);
  step(`journey: ${journeys.length} events, ${journeys.reduce((n, j) => n + j.deliveries.length, 0)} deliveries`);
}

/** Runs one reconciler now and prints what it found; then the latest findings of every reconciler. */
async function reconcilerScenario(): Promise<void> {
  const name = 'payments-ledger-matches-payments';
  step(`── reconciliation: ${name} (POST /admin/reconciliation/${name}/run) ──`);
  const { runId } = await ok(admin.POST('/admin/reconciliation/{name}/run', { params: { path: { name } } }));
  const run = await until(
    `run ${runId}`,
    async () =>
      (
        await ok(admin.GET('/admin/reconciliation/runs', { params: { query: { reconciler: name, limit: 20 } } }))
      ).items.find((r) => r.id === runId),
    (r) => r?.status === 'succeeded' || r?.status === 'failed',
  );
  const done = run!;
  step(
    `run ${short(done.id)} ${done.status} in ${ms(done.startedAt, done.finishedAt)}: ${done.findings} finding(s), ` +
      `${done.healed} healed, ${done.exceptions} open exception(s)${done.error ? `, error ${done.error}` : ''}`,
  );
  const findings = await ok(
    admin.GET('/admin/reconciliation/findings', { params: { query: { reconciler: name, limit: 50 } } }),
  );
  const seen = findings.items.filter((f) => f.lastSeenRunId === done.id);
  if (seen.length === 0) {
    step(
      'findings of this run: none - every confirmed payment (the replayed one too) has its ledger postings, and gateway:cash equals confirmed minus refunded',
    );
  }
  for (const f of seen) step(`finding ${short(f.id)} [${f.status}] ${f.subject}: ${f.description}`);
  const latest = await ok(admin.GET('/admin/reconciliation/findings', { params: { query: { limit: 5 } } }));
  step(`latest findings of every reconciler (GET /admin/reconciliation/findings): ${latest.items.length}`);
  for (const f of latest.items) {
    process.stdout.write(`           ${f.status.padEnd(8)} ${f.reconciler} · ${f.subject}: ${f.description}\n`);
  }
}

/** Rebuilds a balance projection from the ledger beside the live one, printing its progress. */
async function rebuildScenario(): Promise<void> {
  const name = 'citizen-balances';
  const projection = () => ok(admin.GET('/admin/projections/{name}', { params: { path: { name } } }));
  const before = await projection();
  step(`── projection rebuild: ${name}, live version ${before.version} (POST /admin/projections/${name}/rebuild) ──`);
  const { rebuildId } = await ok(admin.POST('/admin/projections/{name}/rebuild', { params: { path: { name } } }));
  let printed = '';
  const finished = await until(
    `rebuild ${rebuildId}`,
    async () => {
      const view = await projection();
      const rebuild = view.rebuild?.id === rebuildId ? view.rebuild : null;
      if (rebuild) {
        const { done, total } = rebuild.progress;
        const line =
          `rebuild ${short(rebuildId)} → version ${rebuild.version}: ${done.toLocaleString('en')} / ` +
          `${total === null ? '?' : total.toLocaleString('en')} ledger entries` +
          (total ? ` (${Math.floor((done / total) * 100)}%)` : '') +
          `, ${rebuild.status}`;
        if (line !== printed) step((printed = line));
      }
      return { view, rebuild };
    },
    ({ rebuild }) => rebuild !== null && rebuild.status !== 'running',
    50_000,
  );
  const rebuild = finished.rebuild!;
  if (rebuild.status !== 'succeeded') throw new Error(`rebuild ${rebuildId} ${rebuild.status}: ${rebuild.error}`);
  step(
    `rebuild ${short(rebuildId)} succeeded in ${rebuild.durationSeconds?.toFixed(2)} s (${rebuild.caughtUp} subject(s) caught up ` +
      `after the scan); live version ${before.version} → ${finished.view.version}`,
  );
  const balance = await ok(citizen.GET('/v1/citizens/{citizenId}/debts', { params: { path: { citizenId } } }));
  step(
    `citizen ${citizenId}: totalOutstanding ${balance.totalOutstanding / 100} SAR, read from the rebuilt projection`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.stderr.write('Is the app running? Start it with `npm run dev` in another terminal.\n');
  process.exit(1);
});
