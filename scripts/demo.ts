/**
 * Drives the Debts Hub flow through the REST API of a running app (`npm run dev`) and prints each
 * step as it happens: debts registered → licence blocked → paid (one partially) → cleared → issued.
 *   npm run demo                       (DEMO_URL defaults to http://localhost:3000)
 */
import { randomUUID } from 'node:crypto';
import { loadConfig } from '../src/config/app-config.js';
import type { Role } from '../src/platform/auth/principal.js';
import { TokenService } from '../src/platform/auth/token.service.js';

const baseUrl = process.env.DEMO_URL ?? 'http://localhost:3000';
const tokens = new TokenService(loadConfig());
const started = Date.now();
const citizenId = `demo-citizen-${randomUUID().slice(0, 8)}`;

const bearer = (sub: string, roles: Role[]) => `Bearer ${tokens.sign({ sub, roles })}`;
const service = bearer('demo-issuer', ['service']);
const citizen = bearer(citizenId, ['citizen']);

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

async function pay(debt: Debt, amount: number): Promise<void> {
  const payment = await call<Payment>(
    'POST',
    '/v1/payments',
    citizen,
    { purpose: 'debt', referenceId: debt.id, amount, currency: 'SAR' },
    { 'Idempotency-Key': randomUUID() },
  );
  step(`payment ${payment.id.slice(0, 8)} of ${amount / 100} SAR accepted (${payment.status})`);
  const confirmed = await until(
    'payment confirmation',
    () => call<Payment>('GET', `/v1/payments/${payment.id}`, citizen),
    (p) => p.status !== 'pending',
  );
  step(`payment ${payment.id.slice(0, 8)} ${confirmed.status}`);
  const after = await until(
    'the debt to reflect the payment',
    () => call<Debt>('GET', `/v1/debts/${debt.id}`, citizen),
    (d) => d.outstanding <= debt.outstanding - amount,
  );
  step(`debt ${debt.id.slice(0, 8)}: ${after.outstanding / 100} SAR outstanding (${after.status})`);
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
  step(`registered a 300 SAR fine (${fine.id.slice(0, 8)}) and a 120 SAR fee (${fee.id.slice(0, 8)})`);

  const application = await call<Application>('POST', '/v1/licences/applications', citizen, {
    citizenId,
    activity: 'coffee roastery',
    premisesAddress: '12 Olaya St, Riyadh',
  });
  step(
    `licence application ${application.id.slice(0, 8)}: ${application.status}, blocked by ${application.blockingDebtIds.length} debts`,
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
  step('done');
}

main().catch((error: unknown) => {
  process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.stderr.write('Is the app running? Start it with `npm run dev` in another terminal.\n');
  process.exit(1);
});
