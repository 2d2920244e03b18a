/**
 * Drives both flows through the REST API of a running app (`npm run dev`) and prints each step as it
 * happens. Debts Hub: debts registered → licence blocked → paid (one partially) → cleared → issued.
 * Orders: SKU and stock at two locations → order placed → reserved by the optimiser → paid → shipped.
 *   npm run demo                       (DEMO_URL defaults to http://localhost:3000)
 * Against the stub provider (README, "Payments through the stub provider"), set DEMO_GATEWAY_STUB_URL
 * (e.g. http://127.0.0.1:4010) to also print the charge the provider took for each payment.
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
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { Authorization: auth, 'Content-Type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path} → ${response.status}: ${text}`);
  return JSON.parse(text) as T;
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

main().catch((error: unknown) => {
  process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.stderr.write('Is the app running? Start it with `npm run dev` in another terminal.\n');
  process.exit(1);
});
