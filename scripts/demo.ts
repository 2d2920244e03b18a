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
 */
import { randomUUID } from 'node:crypto';
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

const bearer = (sub: string, roles: Role[]) => `Bearer ${tokens.sign({ sub, roles })}`;
const service = bearer('demo-issuer', ['service']);
const citizen = bearer(citizenId, ['citizen']);
const customerId = `demo-customer-${randomUUID().slice(0, 8)}`;
const customer = bearer(customerId, ['customer']);
const admin = bearer('demo-admin', ['admin']);

/** The random tail of a uuid v7 (its head is a timestamp, the same for every id made in one run). */
const short = (id: string) => id.slice(-8);

function step(message: string): void {
  const seconds = ((Date.now() - started) / 1000).toFixed(2).padStart(6);
  process.stdout.write(`[+${seconds}s] ${message}\n`);
}

async function call<T>(
  method: string,
  path: string,
  auth: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<T> {
  return (await exchange<T>(method, path, auth, body, headers)).body;
}

/** {@link call}, with the response's headers (the correlation id of what the request caused). */
async function exchange<T>(
  method: string,
  path: string,
  auth: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ body: T; headers: Headers }> {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { Authorization: auth, 'Content-Type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path} → ${response.status}: ${text}`);
  return { body: JSON.parse(text) as T, headers: response.headers };
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

interface Debt {
  id: string;
  amount: number;
  outstanding: number;
  status: string;
}
interface Application {
  id: string;
  status: string;
  blockingDebtIds: string[];
  licenceNumber: string | null;
}
interface Payment {
  id: string;
  status: string;
  amount: number;
}
interface Order {
  id: string;
  total: number;
  status: string;
  paymentStatus: string;
  allocations: Array<{ locationId: string; sku: string; quantity: number }>;
  routing: { cost: number; solverMs: number; solver: string } | null;
  shippedAt: string | null;
}
interface StockLevel {
  locationId: string;
  onHand: number;
  reserved: number;
  available: number;
}

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

async function pay(debt: Debt, amount: number): Promise<void> {
  const payment = await call<Payment>(
    'POST',
    '/v1/payments',
    citizen,
    { purpose: 'debt', referenceId: debt.id, amount, currency: 'SAR' },
    { 'Idempotency-Key': randomUUID() },
  );
  step(`payment ${short(payment.id)} of ${amount / 100} SAR accepted (${payment.status})`);
  const confirmed = await until(
    'payment confirmation',
    () => call<Payment>('GET', `/v1/payments/${payment.id}`, citizen),
    (p) => p.status !== 'pending',
  );
  step(`payment ${short(payment.id)} ${confirmed.status}`);
  await showProviderCharge(payment.id);
  const after = await until(
    'the debt to reflect the payment',
    () => call<Debt>('GET', `/v1/debts/${debt.id}`, citizen),
    (d) => d.outstanding <= debt.outstanding - amount,
  );
  step(`debt ${short(debt.id)}: ${after.outstanding / 100} SAR outstanding (${after.status})`);
  debt.outstanding = after.outstanding;
}

async function main(): Promise<void> {
  step(`Debts Hub demo against ${baseUrl}, citizen ${citizenId}`);
  await call('GET', '/health/ready', service);

  const fine = await call<Debt>('POST', '/v1/debts', service, {
    citizenId,
    reference: `DEMO-FINE-${randomUUID()}`,
    kind: 'fine',
    amount: 30000,
    currency: 'SAR',
  });
  const fee = await call<Debt>('POST', '/v1/debts', service, {
    citizenId,
    reference: `DEMO-FEE-${randomUUID()}`,
    kind: 'fee',
    amount: 12000,
    currency: 'SAR',
  });
  step(`registered a 300 SAR fine (${short(fine.id)}) and a 120 SAR fee (${short(fee.id)})`);

  const application = await call<Application>('POST', '/v1/licences/applications', citizen, {
    citizenId,
    activity: 'coffee roastery',
    premisesAddress: '12 Olaya St, Riyadh',
  });
  step(
    `licence application ${short(application.id)}: ${application.status}, blocked by ${application.blockingDebtIds.length} debts`,
  );

  await pay(fine, 10000);
  await pay(fine, 20000);
  await pay(fee, 12000);

  const issued = await until(
    'the licence',
    () => call<Application>('GET', `/v1/licences/applications/${application.id}`, citizen),
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
  await call('PUT', `/v1/catalog/skus/${sku}`, admin, { name: 'Demo kettle', unitPrice: 8900, currency: 'SAR' });
  const locations = [
    { id: 'demo-riyadh-store', name: 'Riyadh store', kind: 'store', lat: 24.71, lon: 46.68, onHand: 1 },
    { id: 'demo-dammam-warehouse', name: 'Dammam warehouse', kind: 'warehouse', lat: 26.42, lon: 50.09, onHand: 20 },
  ];
  for (const { id, onHand, ...location } of locations) {
    await call('PUT', `/v1/inventory/locations/${id}`, admin, {
      ...location,
      handlingCostPerUnit: location.kind === 'store' ? 400 : 150,
      shippingCostPerKm: 1.2,
      fixedCostPerShipment: 1500,
    });
    await call('PUT', `/v1/inventory/locations/${id}/stock/${sku}`, admin, { onHand });
  }
  step(`SKU ${sku} at 89 SAR: 1 unit in the Riyadh store, 20 in the Dammam warehouse`);

  const order = await call<Order>(
    'POST',
    '/v1/orders',
    customer,
    { customerId, lines: [{ sku, quantity: 3 }], shipTo: { lat: 24.77, lon: 46.74 } },
    { 'Idempotency-Key': randomUUID() },
  );
  step(`order ${short(order.id)} placed: 3 × ${sku}, total ${order.total / 100} SAR (${order.status})`);
  const reserved = await until(
    'the reservation',
    () => call<Order>('GET', `/v1/orders/${order.id}`, customer),
    (o) => o.status !== 'placed',
  );
  const plan = reserved.allocations.map((a) => `${a.quantity} from ${a.locationId}`).join(', ');
  step(
    `order ${reserved.status}: ${plan}; routing cost ${reserved.routing?.cost} (${reserved.routing?.solver}, ${reserved.routing?.solverMs} ms)`,
  );

  const payment = await call<Payment>(
    'POST',
    '/v1/payments',
    customer,
    { purpose: 'order', referenceId: order.id, amount: order.total, currency: 'SAR' },
    { 'Idempotency-Key': randomUUID() },
  );
  step(`payment ${short(payment.id)} of ${payment.amount / 100} SAR accepted (${payment.status})`);
  const shipped = await until(
    'the shipment',
    () => call<Order>('GET', `/v1/orders/${order.id}`, customer),
    (o) => o.status === 'shipped' || o.status === 'cancelled',
  );
  step(`order ${shipped.status} at ${shipped.shippedAt} (payment ${shipped.paymentStatus})`);
  await showProviderCharge(payment.id);
  const stock = await call<{ locations: StockLevel[] }>('GET', `/v1/inventory/skus/${sku}`, admin);
  step(
    `stock now: ${stock.locations.map((l) => `${l.locationId} ${l.onHand} on hand, ${l.reserved} reserved`).join('; ')}`,
  );
}

// ---------------------------------------------------------------------------------------------
// When something breaks: what an operator sees and does, through the admin API

interface DeadLetterRef {
  id: string;
  reason: string;
  status: 'dead' | 'replayed';
  replayCount: number;
}
interface JourneyDelivery {
  subscriber: string;
  lane: string;
  state: 'pending' | 'enqueued' | 'handled' | 'dead';
  attempts: number;
  redrives: number;
  enqueuedAt: string | null;
  handledAt: string | null;
  lastError: string | null;
  deadLetter: DeadLetterRef | null;
}
interface Journey {
  envelope: {
    id: string;
    type: string;
    version: number;
    occurredAt: string;
    causationId: string | null;
    payload: Record<string, unknown>;
  };
  relayedAt: string | null;
  deliveries: JourneyDelivery[];
  causedEvents: Array<{ id: string; type: string }>;
}
interface Page<T> {
  items: T[];
  nextCursor: string | null;
}
interface DeadLetter {
  id: string;
  eventId: string;
  subscriber: string;
  errorClass: string;
  errorMessage: string;
  attempts: number;
  status: 'dead' | 'replayed';
}

const CHARGE_SUBSCRIBER = 'payments.charge-gateway-when-payment-requested';

/** Every journey of one correlation id (the request and all it caused), oldest first. */
async function journeysOf(correlationId: string): Promise<Journey[]> {
  const all: Journey[] = [];
  let cursor: string | null = null;
  do {
    const query = new URLSearchParams({ correlationId, limit: '200', ...(cursor ? { cursor } : {}) });
    const page: Page<Journey> = await call<Page<Journey>>('GET', `/admin/messages?${query}`, admin);
    all.push(...page.items);
    cursor = page.nextCursor;
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
  const response = await fetch(`${baseUrl}/admin/gateway-simulator`, { headers: { Authorization: admin } });
  if (response.status === 404) {
    throw new Error(
      'the app serves no /admin/gateway-simulator: it runs with GATEWAY_SIM_CONTROL=false or PAYMENT_GATEWAY=http ' +
        '(then set DEMO_GATEWAY_STUB_URL to the stub provider)',
    );
  }
  if (!response.ok) throw new Error(`GET /admin/gateway-simulator → ${response.status}: ${await response.text()}`);
  const before = ((await response.json()) as { faults: { rejectRate: number } }).faults.rejectRate;
  return {
    where: "the app's payment simulator",
    refuse: async () => void (await call('PATCH', '/admin/gateway-simulator', admin, { rejectRate: 1 })),
    heal: async () => void (await call('PATCH', '/admin/gateway-simulator', admin, { rejectRate: before })),
  };
}

async function failureScenario(): Promise<{ paymentId: string; correlationId: string }> {
  step('── a payment fails at the gateway, and heals ──');
  const debt = await call<Debt>('POST', '/v1/debts', service, {
    citizenId,
    reference: `DEMO-PERMIT-${randomUUID()}`,
    kind: 'fee',
    amount: 7500,
    currency: 'SAR',
  });
  step(`registered a 75 SAR permit fee (${short(debt.id)})`);

  const fault = await gatewayFault();
  await fault.refuse();
  let healed = false;
  try {
    step(`the gateway now refuses every charge request (422, not retryable), set at ${fault.where}`);
    const accepted = await exchange<Payment>(
      'POST',
      '/v1/payments',
      citizen,
      { purpose: 'debt', referenceId: debt.id, amount: 7500, currency: 'SAR' },
      { 'Idempotency-Key': randomUUID() },
    );
    const payment = accepted.body;
    const correlationId = accepted.headers.get('x-correlation-id');
    if (!correlationId) throw new Error('POST /v1/payments answered without x-correlation-id');
    step(`payment ${short(payment.id)} of 75 SAR accepted (${payment.status}), correlation id ${correlationId}`);

    const charge = await until(
      'the charge to be dead-lettered',
      async () => (await journeysOf(correlationId)).find((j) => j.envelope.type === 'payments.payment-requested'),
      (j) => j?.deliveries.some((d) => d.subscriber === CHARGE_SUBSCRIBER && d.state === 'dead') ?? false,
    );
    const requested = charge!;
    const dead = await call<Page<DeadLetter>>(
      'GET',
      `/admin/dead-letters?${new URLSearchParams({ subscriber: CHARGE_SUBSCRIBER, limit: '200' })}`,
      admin,
    );
    const letter = dead.items.find((d) => d.eventId === requested.envelope.id);
    if (!letter) throw new Error(`no dead letter listed for event ${requested.envelope.id}`);
    step(
      `dead letter ${short(letter.id)}: ${letter.subscriber} after ${letter.attempts} attempt(s): ${letter.errorClass}: ${letter.errorMessage}`,
    );
    const stuck = await call<Payment>('GET', `/v1/payments/${payment.id}`, citizen);
    const owed = await call<Debt>('GET', `/v1/debts/${debt.id}`, citizen);
    step(
      `payment ${short(payment.id)} still ${stuck.status}; debt ${short(debt.id)} still ${owed.outstanding / 100} SAR outstanding`,
    );

    await fault.heal();
    healed = true;
    step(`cause fixed: the gateway accepts charges again (${fault.where})`);
    const replay = await call<{ replayed: number }>('POST', `/admin/dead-letters/${letter.id}/replay`, admin);
    step(`POST /admin/dead-letters/${short(letter.id)}/replay → replayed ${replay.replayed} (same event id)`);
    const confirmed = await until(
      'the replayed payment',
      () => call<Payment>('GET', `/v1/payments/${payment.id}`, citizen),
      (p) => p.status !== 'pending',
    );
    step(`payment ${short(payment.id)} ${confirmed.status} after the replay`);
    await showProviderCharge(payment.id);
    const settled = await until(
      'the debt to be settled',
      () => call<Debt>('GET', `/v1/debts/${debt.id}`, citizen),
      (d) => d.outstanding === 0,
    );
    step(`debt ${short(debt.id)}: ${settled.outstanding / 100} SAR outstanding (${settled.status})`);
    const after = await call<Page<DeadLetter>>(
      'GET',
      `/admin/dead-letters?${new URLSearchParams({ subscriber: CHARGE_SUBSCRIBER, status: 'replayed', limit: '200' })}`,
      admin,
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

interface Run {
  id: string;
  reconciler: string;
  status: 'queued' | 'running' | 'succeeded' | 'failed';
  findings: number;
  healed: number;
  exceptions: number;
  error: string | null;
  startedAt: string | null;
  finishedAt: string | null;
}
interface Finding {
  id: string;
  reconciler: string;
  subject: string;
  status: 'open' | 'healed' | 'resolved';
  description: string;
  firstRunId: string;
  lastSeenRunId: string;
}

/** Runs one reconciler now and prints what it found; then the latest findings of every reconciler. */
async function reconcilerScenario(): Promise<void> {
  const name = 'payments-ledger-matches-payments';
  step(`── reconciliation: ${name} (POST /admin/reconciliation/${name}/run) ──`);
  const { runId } = await call<{ runId: string }>('POST', `/admin/reconciliation/${name}/run`, admin);
  const run = await until(
    `run ${runId}`,
    async () =>
      (await call<Page<Run>>('GET', `/admin/reconciliation/runs?reconciler=${name}&limit=20`, admin)).items.find(
        (r) => r.id === runId,
      ),
    (r) => r?.status === 'succeeded' || r?.status === 'failed',
  );
  const done = run!;
  step(
    `run ${short(done.id)} ${done.status} in ${ms(done.startedAt, done.finishedAt)}: ${done.findings} finding(s), ` +
      `${done.healed} healed, ${done.exceptions} open exception(s)${done.error ? `, error ${done.error}` : ''}`,
  );
  const findings = await call<Page<Finding>>(
    'GET',
    `/admin/reconciliation/findings?reconciler=${name}&limit=50`,
    admin,
  );
  const seen = findings.items.filter((f) => f.lastSeenRunId === done.id);
  if (seen.length === 0) {
    step(
      'findings of this run: none - every confirmed payment (the replayed one too) has its ledger postings, and gateway:cash equals confirmed minus refunded',
    );
  }
  for (const f of seen) step(`finding ${short(f.id)} [${f.status}] ${f.subject}: ${f.description}`);
  const latest = await call<Page<Finding>>('GET', '/admin/reconciliation/findings?limit=5', admin);
  step(`latest findings of every reconciler (GET /admin/reconciliation/findings): ${latest.items.length}`);
  for (const f of latest.items) {
    process.stdout.write(`           ${f.status.padEnd(8)} ${f.reconciler} · ${f.subject}: ${f.description}\n`);
  }
}

interface Rebuild {
  id: string;
  version: number;
  status: 'running' | 'succeeded' | 'failed';
  progress: { done: number; total: number | null };
  caughtUp: number;
  error: string | null;
  durationSeconds: number | null;
}
interface Projection {
  name: string;
  version: number;
  status: 'live' | 'rebuilding';
  rebuild: Rebuild | null;
}

/** Rebuilds a balance projection from the ledger beside the live one, printing its progress. */
async function rebuildScenario(): Promise<void> {
  const name = 'citizen-balances';
  const before = await call<Projection>('GET', `/admin/projections/${name}`, admin);
  step(`── projection rebuild: ${name}, live version ${before.version} (POST /admin/projections/${name}/rebuild) ──`);
  const { rebuildId } = await call<{ rebuildId: string }>('POST', `/admin/projections/${name}/rebuild`, admin);
  let printed = '';
  const finished = await until(
    `rebuild ${rebuildId}`,
    async () => {
      const view = await call<Projection>('GET', `/admin/projections/${name}`, admin);
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
  const balance = await call<{ totalOutstanding: number }>('GET', `/v1/citizens/${citizenId}/debts`, citizen);
  step(
    `citizen ${citizenId}: totalOutstanding ${balance.totalOutstanding / 100} SAR, read from the rebuilt projection`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.stderr.write('Is the app running? Start it with `npm run dev` in another terminal.\n');
  process.exit(1);
});
