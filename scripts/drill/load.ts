/**
 * The drill's steady mix, over HTTP like any client: debt-payment flows (register a debt, apply
 * for a licence that the debt blocks, pay it, sometimes in two parts) and orders (place, and pay
 * once routed). Requests go round-robin to the api processes in rotation, as through a load
 * balancer. A request that fails (5xx, no answer, 409 in flight, 429) is retried with the same
 * body and Idempotency-Key, as a careful client does; every attempt is recorded with its time, so
 * failures can be counted per fault window.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import type { AppConfig } from '../../src/config/index.js';
import type { Role } from '../../src/platform/auth/principal.js';
import { TokenService } from '../../src/platform/auth/token.service.js';

export interface Attempt {
  at: number;
  /** HTTP status, or 0 when no answer came (connection refused or reset, timeout). */
  status: number;
  path: string;
  error?: string;
}

export interface LoadTotals {
  flows: number;
  orders: number;
  /** Payments answered 202 (accepted). */
  acceptedPayments: number;
  /** Requests given up on after every retry: each is a finding. */
  abandoned: string[];
}

export interface LoadSettings {
  /** Payment flows started per second. */
  rate: number;
  /** One order per this many payment flows. */
  orderEvery: number;
  /** Flows in flight at most: past it the load waits, so an overloaded machine is not buried. */
  maxInFlight: number;
  skus: string[];
}

const RETRY_FOR_MS = 120_000;
// A connection per request: no request is ever written to a connection the server has just closed.
const agent = new http.Agent({ keepAlive: false, maxSockets: 256 });

/** One HTTP request; rejects when no answer came (refused, reset, {@link ANSWER_TIMEOUT_MS}). */
function send(url: URL, method: string, headers: Record<string, string>, body: unknown) {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        method,
        path: url.pathname + url.search,
        agent,
        timeout: ANSWER_TIMEOUT_MS,
        headers: {
          ...headers,
          ...(payload === undefined
            ? {}
            : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(Object.assign(new Error('no answer'), { code: 'TIMEOUT' })));
    req.on('error', reject);
    req.end(payload);
  });
}
const ANSWER_TIMEOUT_MS = 60_000;

export class Load {
  readonly attempts: Attempt[] = [];
  private readonly tokens: TokenService;
  private readonly service: string;
  private next = 0;
  private readonly runId = randomUUID().slice(0, 8);
  private serial = 0;

  constructor(
    jwtSecret: string,
    private readonly apiUrls: () => string[],
    private readonly db: pg.Pool,
  ) {
    this.tokens = new TokenService({
      authJwtSecret: jwtSecret,
      authJwtIssuer: undefined,
      authJwtAudience: undefined,
      authJwtMaxLifetimeS: 86_400,
    } as AppConfig);
    this.service = this.bearer('drill-issuer', ['service']);
  }

  bearer(sub: string, roles: Role[]): string {
    return `Bearer ${this.tokens.sign({ sub, roles }, 86_400)}`;
  }

  unique(): string {
    return `${this.runId}-${(this.serial++).toString(36)}`;
  }

  /** One attempt at the next api in rotation. */
  private async attempt(method: string, path: string, auth: string, body: unknown, headers: Record<string, string>) {
    const urls = this.apiUrls();
    const base = urls[this.next++ % Math.max(1, urls.length)];
    const at = Date.now();
    try {
      if (!base) throw new Error('no api in rotation');
      const reply = await send(new URL(path, base), method, { authorization: auth, ...headers }, body);
      this.attempts.push({ at, status: reply.status, path });
      return reply;
    } catch (error) {
      this.attempts.push({ at, status: 0, path, error: (error as { code?: string }).code ?? (error as Error).message });
      return { status: 0, text: '' };
    }
  }

  /** Sends until an answer that is not a transient failure, for {@link RETRY_FOR_MS} at most. */
  async call<T>(
    method: string,
    path: string,
    auth: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: T }> {
    const deadline = Date.now() + RETRY_FOR_MS;
    for (let delay = 200; ; delay = Math.min(delay * 2, 2000)) {
      const reply = await this.attempt(method, path, auth, body, headers);
      const transient = reply.status === 0 || reply.status >= 500 || reply.status === 409 || reply.status === 429;
      if (!transient || Date.now() > deadline) {
        let parsed: unknown;
        try {
          parsed = reply.text ? JSON.parse(reply.text) : undefined;
        } catch {
          parsed = reply.text;
        }
        return { status: reply.status, body: parsed as T };
      }
      await sleep(delay);
    }
  }

  /**
   * Runs flows at `settings.rate` per second until `stop()` says so and at least `minFlows` were
   * started; resolves once every started flow has finished.
   */
  async run(settings: LoadSettings, minFlows: number, stop: () => boolean): Promise<LoadTotals> {
    const totals: LoadTotals = { flows: 0, orders: 0, acceptedPayments: 0, abandoned: [] };
    const inFlight = new Set<Promise<void>>();
    const track = (flow: Promise<void>) => {
      inFlight.add(flow);
      void flow.finally(() => inFlight.delete(flow));
    };
    let due = Date.now();
    for (let i = 0; i < minFlows || !stop(); i++) {
      due += 1000 / settings.rate;
      if (due - Date.now() > 1) await sleep(due - Date.now());
      while (inFlight.size >= settings.maxInFlight) await Promise.race(inFlight);
      due = Math.max(due, Date.now() - 1000); // no catching up in a burst after waiting
      totals.flows++;
      track(this.debtFlow(i, totals));
      if (i % settings.orderEvery === 0) {
        totals.orders++;
        track(this.orderFlow(i, settings.skus, totals));
      }
    }
    await Promise.all(inFlight);
    return totals;
  }

  private async debtFlow(i: number, totals: LoadTotals): Promise<void> {
    const citizenId = `drill-c-${this.unique()}`;
    const token = this.bearer(citizenId, ['citizen']);
    const amount = 5000;
    const debt = await this.call<{ id: string }>('POST', '/v1/debts', this.service, {
      citizenId,
      reference: `DRILL-${this.unique()}`,
      kind: 'fee',
      amount,
      currency: 'SAR',
    });
    if (debt.status !== 201 && debt.status !== 200) return void totals.abandoned.push(`POST /v1/debts ${debt.status}`);
    const application = await this.call('POST', '/v1/licences/applications', token, {
      citizenId,
      activity: 'drill bakery',
      premisesAddress: '1 Drill St',
    });
    if (application.status !== 201) {
      return void totals.abandoned.push(`POST /v1/licences/applications ${application.status}`);
    }
    // One flow in four pays in two parts: outstanding must follow each confirmed part.
    const parts = i % 4 === 0 ? [2000, 3000] : [amount];
    await Promise.all(
      parts.map(async (part) => {
        const payment = await this.call(
          'POST',
          '/v1/payments',
          token,
          { purpose: 'debt', referenceId: debt.body.id, amount: part, currency: 'SAR' },
          { 'idempotency-key': `drill-${this.unique()}` },
        );
        if (payment.status === 202) totals.acceptedPayments++;
        else totals.abandoned.push(`POST /v1/payments (debt) ${payment.status}`);
      }),
    );
  }

  private async orderFlow(i: number, skus: string[], totals: LoadTotals): Promise<void> {
    const customerId = `drill-o-${this.unique()}`;
    const token = this.bearer(customerId, ['customer']);
    const order = await this.call<{ id: string }>(
      'POST',
      '/v1/orders',
      token,
      {
        customerId,
        lines: [
          { sku: skus[i % skus.length], quantity: 1 + (i % 3) },
          { sku: skus[(i + 1) % skus.length], quantity: 1 },
        ],
        shipTo: { lat: 21 + ((i * 7) % 60) / 10, lon: 39 + ((i * 13) % 110) / 10 },
      },
      { 'idempotency-key': `drill-${this.unique()}` },
    );
    if (order.status !== 202) return void totals.abandoned.push(`POST /v1/orders ${order.status}`);
    const routed = await this.routed(order.body.id);
    if (routed?.status !== 'reserved') return; // rejected (no stock) is an answer too; unrouted is checked later
    const payment = await this.call(
      'POST',
      '/v1/payments',
      token,
      { purpose: 'order', referenceId: order.body.id, amount: routed.total, currency: 'SAR' },
      { 'idempotency-key': `drill-${this.unique()}` },
    );
    if (payment.status === 202) totals.acceptedPayments++;
    else totals.abandoned.push(`POST /v1/payments (order) ${payment.status}`);
  }

  /** Waits until the app has routed the order (read from PostgreSQL: waiting costs the app nothing). */
  private async routed(orderId: string): Promise<{ status: string; total: number } | undefined> {
    const deadline = Date.now() + RETRY_FOR_MS;
    while (Date.now() < deadline) {
      try {
        const { rows } = await this.db.query<{ status: string; total: string }>(
          `SELECT status, total FROM fulfilment_order WHERE id = $1 AND status <> 'placed'`,
          [orderId],
        );
        if (rows[0]) return { status: rows[0].status, total: Number(rows[0].total) };
      } catch {
        /* the database is being restarted: look again */
      }
      await sleep(250);
    }
    return undefined;
  }
}

/** A stock location the drill's orders can be routed from. */
export interface CatalogueLocation {
  id: string;
  kind: string;
  lat: number;
  lon: number;
  /** Handling cost per unit, minor units. */
  handling: number;
}

/**
 * Puts `skus` in the catalogue and `onHand` units of each at every location, through the API as
 * the admin `admin`, before a load places orders against them.
 */
export async function setUpCatalogue(
  load: Load,
  { admin, skus, locations, onHand }: { admin: string; skus: string[]; locations: CatalogueLocation[]; onHand: number },
): Promise<void> {
  const adminToken = load.bearer(admin, ['admin']);
  const put = async (path: string, body: object) => {
    const reply = await load.call('PUT', path, adminToken, body);
    if (reply.status >= 300) throw new Error(`PUT ${path}: ${reply.status} ${JSON.stringify(reply.body)}`);
  };
  for (const [i, sku] of skus.entries()) {
    await put(`/v1/catalog/skus/${sku}`, { name: sku, unitPrice: 1500 + i * 700, currency: 'SAR' });
  }
  for (const location of locations) {
    await put(`/v1/inventory/locations/${location.id}`, {
      name: location.id,
      kind: location.kind,
      lat: location.lat,
      lon: location.lon,
      handlingCostPerUnit: location.handling,
      shippingCostPerKm: 1.2,
      fixedCostPerShipment: 1500,
    });
    for (const sku of skus) {
      await put(`/v1/inventory/locations/${location.id}/stock/${sku}`, { onHand });
    }
  }
}
