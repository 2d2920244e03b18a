import { createHmac, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { mergeStubSettings, type StubSettings } from './stub-settings.js';

/** A charge as the stub records it, keyed by its idempotency key. */
export interface StubCharge {
  id: string;
  idempotencyKey: string;
  status: 'pending' | 'succeeded' | 'failed';
  failureCode?: string;
  amount: number;
  currency: string;
  reference: string;
  metadata: { paymentId: string; purpose?: string };
  createdAt: string;
}

/** A refund as the stub records it. */
export interface StubRefund {
  id: string;
  idempotencyKey: string;
  charge: string;
  amount: number;
  status: 'succeeded';
}

/** What the stub saw per idempotency key: tests ask it how many charges a payment cost. */
export interface StubKeyStats {
  /**
   * `POST /v1/charges` requests handled under this key: replays and 422s included; injected 503s
   * and 401s are answered before a request is looked at and are not counted.
   */
  chargeRequests: number;
  /** Charges actually created: never more than one per key. */
  chargesCreated: number;
  /** `GET /v1/charges?idempotency_key=` requests for this key. */
  lookups: number;
}

/** One webhook post attempt, as the stub logged it. */
export interface StubWebhookDelivery {
  eventId: string;
  paymentId: string;
  status: 'succeeded' | 'failed';
  /** The app's answer, or 0 when it could not be reached. */
  answer: number;
  at: string;
}

/** The webhook body (API.md, `POST /v1/payments/gateway-webhook`). */
interface WebhookBody {
  eventId: string;
  paymentId: string;
  gatewayRef: string;
  status: 'succeeded' | 'failed';
  amount: number;
  currency: string;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const DECLINE_CODE = 'card_declined';
const WEBHOOK_POST_TIMEOUT_MS = 5000;
const WEBHOOK_ATTEMPTS = 4;

/**
 * An in-memory payment provider speaking the protocol of API.md ("Payment gateway protocol"), with
 * fault injection from {@link StubSettings}. See scripts/gateway-stub/main.ts for how to run it.
 */
export class GatewayStub {
  settings: StubSettings;
  private readonly charges = new Map<string, StubCharge>();
  private readonly refunds = new Map<string, StubRefund>();
  private readonly stats = new Map<string, StubKeyStats>();
  private readonly webhookLog: StubWebhookDelivery[] = [];
  private readonly held: Array<{ body: WebhookBody; release: () => void }> = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly server: Server;
  private closing = false;

  constructor(
    settings: StubSettings,
    private readonly random: () => number = Math.random,
    private readonly log: (line: string) => void = () => undefined,
  ) {
    this.settings = settings;
    this.server = createServer((req, res) => void this.route(req, res));
  }

  /** Listens on `port` (0: any free one); returns the port. */
  async listen(port: number, host = '127.0.0.1'): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve());
    });
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    this.closing = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', 'http://stub');
      const raw = await readBody(req);
      if (url.pathname.startsWith('/_stub/')) return this.control(req.method ?? 'GET', url, raw, res);

      this.authenticate(req);
      if (this.settings.latencyMs > 0) await sleep(this.settings.latencyMs);
      if (this.roll(this.settings.errorRate)) {
        throw new HttpError(503, 'service_unavailable', 'stub: injected 503 (STUB_ERROR_RATE)');
      }
      if (req.method === 'POST' && url.pathname === '/v1/charges') return this.charge(req, raw, res);
      if (req.method === 'GET' && url.pathname === '/v1/charges') return this.lookup(url, res);
      if (req.method === 'POST' && url.pathname === '/v1/refunds') return this.refund(req, raw, res);
      throw new HttpError(404, 'not_found', `no route ${req.method} ${url.pathname}`);
    } catch (error) {
      if (error instanceof HttpError) return send(res, error.status, { error: error.code, message: error.message });
      this.log(`stub: internal error: ${String(error)}`);
      return send(res, 500, { error: 'internal', message: String(error) });
    }
  }

  private authenticate(req: IncomingMessage): void {
    if (req.headers.authorization !== `Bearer ${this.settings.apiKey}`) {
      throw new HttpError(401, 'unauthorized', 'invalid API key provided');
    }
  }

  private charge(req: IncomingMessage, raw: string, res: ServerResponse): void {
    const key = idempotencyKeyOf(req);
    const stats = this.statsOf(key);
    stats.chargeRequests += 1;
    if (this.roll(this.settings.rejectRate)) {
      throw new HttpError(422, 'invalid_request', 'stub: the charge request was rejected (STUB_REJECT_RATE)');
    }
    const body = parseChargeBody(raw);
    const existing = this.charges.get(key);
    if (existing) {
      if (chargeFingerprint(existing) !== chargeFingerprint(body)) {
        throw new HttpError(422, 'idempotency_key_reused', `idempotency key ${key} was used with another request body`);
      }
      return send(res, 200, chargeView(existing));
    }

    const declined = this.roll(this.settings.declineRate);
    const pending = this.roll(this.settings.pendingRate);
    const charge: StubCharge = {
      id: `ch_${randomUUID().replaceAll('-', '')}`,
      idempotencyKey: key,
      status: pending ? 'pending' : declined ? 'failed' : 'succeeded',
      ...(declined && !pending ? { failureCode: DECLINE_CODE } : {}),
      amount: body.amount,
      currency: body.currency,
      reference: body.reference,
      metadata: body.metadata,
      createdAt: new Date().toISOString(),
    };
    this.charges.set(key, charge);
    stats.chargesCreated += 1;
    this.log(`stub: charge ${charge.id} ${charge.status} for key ${key} (${charge.amount} ${charge.currency})`);
    if (pending) {
      this.later(this.settings.settleDelayMs, () => {
        charge.status = declined ? 'failed' : 'succeeded';
        if (declined) charge.failureCode = DECLINE_CODE;
        this.webhook(charge);
      });
    } else {
      this.webhook(charge);
    }

    const answer = () =>
      charge.status === 'failed'
        ? send(res, 402, { id: charge.id, failureCode: charge.failureCode })
        : send(res, 201, chargeView(charge));
    if (this.roll(this.settings.timeoutAfterChargeRate)) {
      // The money is taken; the caller learns nothing in time (0: the answer never comes).
      this.log(`stub: holding the answer for charge ${charge.id} (STUB_TIMEOUT_AFTER_CHARGE_RATE)`);
      if (this.settings.timeoutAnswerDelayMs > 0) this.later(this.settings.timeoutAnswerDelayMs, answer);
      return;
    }
    answer();
  }

  private lookup(url: URL, res: ServerResponse): void {
    const key = url.searchParams.get('idempotency_key');
    if (!key) throw new HttpError(400, 'invalid_request', 'idempotency_key is required');
    this.statsOf(key).lookups += 1;
    const charge = this.charges.get(key);
    if (!charge) throw new HttpError(404, 'not_found', `no charge with idempotency key ${key}`);
    send(res, 200, chargeView(charge));
  }

  private refund(req: IncomingMessage, raw: string, res: ServerResponse): void {
    const key = idempotencyKeyOf(req);
    const body = parseJson(raw);
    const chargeId = body?.charge;
    const amount = body?.amount;
    if (typeof chargeId !== 'string' || !Number.isInteger(amount) || (amount as number) < 1) {
      throw new HttpError(400, 'invalid_request', 'a refund needs { charge, amount } with a positive integer amount');
    }
    const existing = this.refunds.get(key);
    if (existing) {
      if (existing.charge !== chargeId || existing.amount !== amount) {
        throw new HttpError(422, 'idempotency_key_reused', `idempotency key ${key} was used with another request body`);
      }
      return send(res, 200, { id: existing.id, status: existing.status });
    }
    const charge = [...this.charges.values()].find((c) => c.id === chargeId);
    if (!charge || charge.status !== 'succeeded') {
      throw new HttpError(422, 'charge_not_refundable', `charge ${chargeId} is not a succeeded charge`);
    }
    if ((amount as number) > charge.amount) {
      throw new HttpError(422, 'amount_too_large', `refund of ${String(amount)} exceeds charge ${chargeId}`);
    }
    if ([...this.refunds.values()].some((r) => r.charge === chargeId)) {
      throw new HttpError(422, 'charge_already_refunded', `charge ${chargeId} was refunded already`);
    }
    const refund: StubRefund = {
      id: `re_${randomUUID().replaceAll('-', '')}`,
      idempotencyKey: key,
      charge: chargeId,
      amount: amount as number,
      status: 'succeeded',
    };
    this.refunds.set(key, refund);
    this.log(`stub: refund ${refund.id} of charge ${chargeId}`);
    send(res, 201, { id: refund.id, status: refund.status });
  }

  /** `/_stub/*`: settings, and what the stub recorded (for tests and curious humans). */
  private control(method: string, url: URL, raw: string, res: ServerResponse): void {
    const path = url.pathname;
    if (path === '/_stub/health') return send(res, 200, { ok: true });
    if (path === '/_stub/settings' && method === 'GET') return send(res, 200, this.settings);
    if (path === '/_stub/settings' && (method === 'PATCH' || method === 'POST')) {
      try {
        this.settings = mergeStubSettings(this.settings, parseJson(raw) ?? {});
      } catch (error) {
        throw new HttpError(400, 'invalid_settings', (error as Error).message);
      }
      return send(res, 200, this.settings);
    }
    if (path === '/_stub/charges' && method === 'GET') {
      return send(
        res,
        200,
        [...this.stats.entries()].map(([key, stats]) => ({
          idempotencyKey: key,
          ...stats,
          charge: this.charges.get(key) ?? null,
        })),
      );
    }
    if (path.startsWith('/_stub/charges/') && method === 'GET') {
      const key = decodeURIComponent(path.slice('/_stub/charges/'.length));
      return send(res, 200, { idempotencyKey: key, ...this.statsOf(key), charge: this.charges.get(key) ?? null });
    }
    if (path === '/_stub/refunds' && method === 'GET') return send(res, 200, [...this.refunds.values()]);
    if (path === '/_stub/webhooks' && method === 'GET') return send(res, 200, this.webhookLog);
    throw new HttpError(404, 'not_found', `no control route ${method} ${path}`);
  }

  /** Sends the decided charge's result webhook, with the configured faults. */
  private webhook(charge: StubCharge): void {
    if (charge.status === 'pending') return;
    const body: WebhookBody = {
      eventId: `evt_${randomUUID().replaceAll('-', '')}`,
      paymentId: charge.metadata.paymentId,
      gatewayRef: charge.id,
      status: charge.status,
      amount: charge.amount,
      currency: charge.currency,
    };
    if (this.roll(this.settings.webhookDropRate)) {
      this.log(`stub: dropping webhook ${body.eventId} for charge ${charge.id} (STUB_WEBHOOK_DROP_RATE)`);
      return;
    }
    const twice = this.roll(this.settings.webhookDuplicateRate);
    const reorder = this.roll(this.settings.webhookReorderRate);
    this.later(this.settings.webhookDelayMs, () => {
      const go = async () => {
        await this.post(body);
        if (twice) await this.post(body);
      };
      if (reorder) {
        // Held back until another webhook has gone out, or the hold expires.
        const entry = { body, release: () => undefined as void };
        const timer = this.later(this.settings.webhookReorderMaxMs, () => this.release(entry));
        entry.release = () => {
          clearTimeout(timer);
          this.timers.delete(timer);
          void go();
        };
        this.held.push(entry);
        return;
      }
      // Whatever was held back goes out once this one was delivered: out of order.
      const overtaken = this.held.splice(0);
      void go().then(() => overtaken.forEach((entry) => entry.release()));
    });
  }

  private release(entry: { body: WebhookBody; release: () => void }): void {
    const index = this.held.indexOf(entry);
    if (index < 0) return;
    this.held.splice(index, 1);
    entry.release();
  }

  /** Posts one webhook, signed; retries (as providers do) while the app cannot take it. */
  private async post(body: WebhookBody): Promise<void> {
    const url = this.settings.webhookUrl;
    if (url === undefined) return;
    const raw = JSON.stringify(body);
    for (let attempt = 1; attempt <= WEBHOOK_ATTEMPTS && !this.closing; attempt += 1) {
      let answer = 0;
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'x-gateway-signature': signature(raw, this.settings.webhookSecret, Math.floor(Date.now() / 1000)),
          },
          body: raw,
          signal: AbortSignal.timeout(WEBHOOK_POST_TIMEOUT_MS),
        });
        answer = response.status;
        await response.arrayBuffer();
      } catch {
        answer = 0;
      }
      this.webhookLog.push({
        eventId: body.eventId,
        paymentId: body.paymentId,
        status: body.status,
        answer,
        at: new Date().toISOString(),
      });
      this.log(
        `stub: webhook ${body.eventId} (${body.status}) for payment ${body.paymentId} → ${answer || 'unreachable'}`,
      );
      // 2xx: taken; 4xx other than 429: the app refuses this body, resending cannot help.
      if (answer >= 200 && answer < 300) return;
      if (answer >= 400 && answer < 500 && answer !== 429) return;
      await sleep(500 * attempt);
    }
  }

  private later(ms: number, run: () => void): NodeJS.Timeout {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.closing) run();
    }, ms);
    this.timers.add(timer);
    return timer;
  }

  private statsOf(key: string): StubKeyStats {
    let stats = this.stats.get(key);
    if (!stats) {
      stats = { chargeRequests: 0, chargesCreated: 0, lookups: 0 };
      this.stats.set(key, stats);
    }
    return stats;
  }

  /** True with probability `rate`; 0 and 1 are exact (tests rely on that). */
  private roll(rate: number): boolean {
    if (rate <= 0) return false;
    if (rate >= 1) return true;
    return this.random() < rate;
  }
}

/** `t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`, as a real provider signs. */
export function signature(raw: string, secret: string, unixSeconds: number): string {
  const hmac = createHmac('sha256', secret).update(`${unixSeconds}.${raw}`).digest('hex');
  return `t=${unixSeconds},v1=${hmac}`;
}

function idempotencyKeyOf(req: IncomingMessage): string {
  const key = req.headers['idempotency-key'];
  if (typeof key !== 'string' || key === '' || key.length > 255) {
    throw new HttpError(400, 'invalid_request', 'the Idempotency-Key header is required (1-255 characters)');
  }
  return key;
}

function parseChargeBody(raw: string): Pick<StubCharge, 'amount' | 'currency' | 'reference' | 'metadata'> {
  const body = parseJson(raw);
  const metadata = body?.metadata as Record<string, unknown> | undefined;
  if (
    !body ||
    !Number.isInteger(body.amount) ||
    (body.amount as number) < 1 ||
    typeof body.currency !== 'string' ||
    !/^[A-Z]{3}$/.test(body.currency) ||
    typeof body.reference !== 'string' ||
    body.reference === '' ||
    typeof metadata?.paymentId !== 'string'
  ) {
    throw new HttpError(
      400,
      'invalid_request',
      'a charge needs { amount: positive integer, currency: ISO 4217, reference, metadata: { paymentId } }',
    );
  }
  return {
    amount: body.amount as number,
    currency: body.currency,
    reference: body.reference,
    metadata: {
      paymentId: metadata.paymentId,
      ...(typeof metadata.purpose === 'string' ? { purpose: metadata.purpose } : {}),
    },
  };
}

function chargeFingerprint(c: Pick<StubCharge, 'amount' | 'currency' | 'reference' | 'metadata'>): string {
  return JSON.stringify([c.amount, c.currency, c.reference, c.metadata.paymentId, c.metadata.purpose ?? null]);
}

function chargeView(charge: StubCharge): Record<string, unknown> {
  return {
    id: charge.id,
    status: charge.status,
    ...(charge.failureCode ? { failureCode: charge.failureCode } : {}),
    amount: charge.amount,
    currency: charge.currency,
    reference: charge.reference,
    metadata: charge.metadata,
  };
}

function parseJson(raw: string): Record<string, unknown> | undefined {
  if (raw === '') return undefined;
  try {
    const value: unknown = JSON.parse(raw);
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    throw new HttpError(400, 'invalid_json', 'the body is not valid JSON');
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}
