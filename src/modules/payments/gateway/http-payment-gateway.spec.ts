import { Logger } from '@nestjs/common';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpPaymentGateway } from './http-payment-gateway.js';
import {
  GatewayAuthenticationError,
  GatewayRequestRejectedError,
  GatewayTimeoutError,
  GatewayUnavailableError,
} from './payment-gateway.js';

/** A request as the provider received it. */
interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: unknown;
}

type Reply = (req: Received, res: ServerResponse) => void;

/** A real local HTTP server playing the provider: records every request, answers with `reply`. */
class FakeProvider {
  readonly received: Received[] = [];
  reply: Reply = (_req, res) => json(res, 500, { message: 'no reply set' });
  /** Answers `GET /v1/charges` (lookups): none by default. */
  lookupReply: Reply = (_req, res) => json(res, 404, { message: 'no such charge' });
  private readonly server: Server;

  constructor() {
    this.server = createServer((req, res) => {
      let raw = '';
      req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
      req.on('end', () => {
        const received = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: parse(raw) };
        this.received.push(received);
        const lookup = received.method === 'GET' && received.url.startsWith('/v1/charges');
        (lookup ? this.lookupReply : this.reply)(received, res);
      });
    });
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

function parse(raw: string): unknown {
  try {
    return raw === '' ? undefined : JSON.parse(raw);
  } catch {
    return raw;
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

const PAYMENT_ID = '0190f5b2-7c3e-7a1b-9c4d-2e5f6a7b8c9d';
const charge = {
  paymentId: PAYMENT_ID,
  amount: 12_345,
  currency: 'SAR',
  reference: 'FINE-2026-0042',
  purpose: 'debt' as const,
};
const API_KEY = 'sk_test_unit';

describe('HttpPaymentGateway', () => {
  const provider = new FakeProvider();
  let gateway: HttpPaymentGateway;
  let url: string;

  beforeAll(async () => {
    url = await provider.start();
    // Answers that come are never timed out, even on a busy machine; the timeout test has its own.
    gateway = new HttpPaymentGateway({ url, apiKey: API_KEY, timeoutMs: 10_000 });
  });
  afterAll(() => provider.stop());
  beforeEach(() => {
    provider.received.splice(0);
    provider.lookupReply = (_req, res) => json(res, 404, { message: 'no such charge' });
  });

  /** The requests that were not lookups. */
  const posts = () => provider.received.filter((r) => r.method === 'POST');

  it('charges with the payment id as Idempotency-Key, the bearer key and the protocol body', async () => {
    provider.reply = (_req, res) =>
      json(res, 201, { id: 'ch_1', status: 'succeeded', amount: 12_345, currency: 'SAR' });
    await expect(gateway.charge(charge)).resolves.toEqual({ status: 'succeeded', gatewayRef: 'ch_1' });
    // First the lookup (none yet), then the charge.
    expect(provider.received.map((r) => `${r.method} ${r.url}`)).toEqual([
      `GET /v1/charges?idempotency_key=${PAYMENT_ID}`,
      'POST /v1/charges',
    ]);
    const [sent] = posts();
    expect(sent.url).toBe('/v1/charges');
    expect(sent.headers['idempotency-key']).toBe(PAYMENT_ID);
    expect(sent.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(sent.headers['content-type']).toBe('application/json');
    expect(sent.body).toEqual({
      amount: 12_345,
      currency: 'SAR',
      reference: 'FINE-2026-0042',
      metadata: { paymentId: PAYMENT_ID, purpose: 'debt' },
    });
  });

  it('returns the charge the provider already holds, without asking for it again', async () => {
    provider.lookupReply = (_req, res) =>
      json(res, 200, { id: 'ch_0', status: 'succeeded', amount: 12_345, currency: 'SAR' });
    provider.reply = (_req, res) => json(res, 500, { message: 'must not be called' });
    await expect(gateway.charge(charge)).resolves.toEqual({ status: 'succeeded', gatewayRef: 'ch_0' });
    expect(posts()).toEqual([]);
  });

  it('takes a replayed charge (200) as the charge it names', async () => {
    provider.reply = (_req, res) =>
      json(res, 200, { id: 'ch_1', status: 'succeeded', amount: 12_345, currency: 'SAR' });
    await expect(gateway.charge(charge)).resolves.toEqual({ status: 'succeeded', gatewayRef: 'ch_1' });
  });

  it('maps a failed charge and a 402 to a final decline carrying the failure code', async () => {
    provider.reply = (_req, res) => json(res, 201, { id: 'ch_2', status: 'failed', failureCode: 'insufficient_funds' });
    await expect(gateway.charge(charge)).resolves.toEqual({
      status: 'declined',
      reason: 'insufficient_funds',
      gatewayRef: 'ch_2',
    });
    provider.reply = (_req, res) => json(res, 402, { failureCode: 'card_declined' });
    await expect(gateway.charge(charge)).resolves.toEqual({
      status: 'declined',
      reason: 'card_declined',
      gatewayRef: undefined,
    });
  });

  it('maps a pending charge to pending', async () => {
    provider.reply = (_req, res) => json(res, 201, { id: 'ch_3', status: 'pending', amount: 12_345, currency: 'SAR' });
    await expect(gateway.charge(charge)).resolves.toEqual({ status: 'pending', gatewayRef: 'ch_3' });
  });

  it.each([500, 502, 503, 429])('maps %i to GatewayUnavailableError (retryable)', async (status) => {
    provider.reply = (_req, res) => json(res, status, { message: 'try later' });
    const error = await gateway.charge(charge).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayUnavailableError);
    expect((error as Error).message).toBe(`POST /v1/charges answered ${status}: try later`);
  });

  it('maps a refused connection to GatewayUnavailableError', async () => {
    const closed = new FakeProvider();
    const closedUrl = await closed.start();
    await closed.stop();
    const offline = new HttpPaymentGateway({ url: closedUrl, apiKey: API_KEY, timeoutMs: 300 });
    const error = await offline.charge(charge).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayUnavailableError);
    expect((error as Error).message).toMatch(/could not reach the provider: ECONNREFUSED/);
  });

  it('maps no answer within GATEWAY_TIMEOUT_MS to GatewayTimeoutError, headers or body alike', async () => {
    provider.reply = () => undefined; // never answers
    const impatient = new HttpPaymentGateway({ url, apiKey: API_KEY, timeoutMs: 300 });
    const started = performance.now();
    const error = await impatient.charge(charge).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayTimeoutError);
    expect((error as Error).message).toBe('POST /v1/charges got no answer within 300 ms');
    expect(performance.now() - started).toBeLessThan(2000);

    provider.reply = (_req, res) => {
      res.writeHead(201, { 'content-type': 'application/json' });
      res.write('{"id":"ch_4",'); // the body stalls
    };
    await expect(impatient.charge(charge)).rejects.toBeInstanceOf(GatewayTimeoutError);
  });

  it.each([401, 403])(
    'maps %i to a non-retryable GatewayAuthenticationError and logs that the key is wrong',
    async (status) => {
      const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
      try {
        provider.reply = (_req, res) => json(res, status, { message: 'invalid api key' });
        const error = await gateway.charge(charge).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(GatewayAuthenticationError);
        expect(error).toBeInstanceOf(GatewayRequestRejectedError);
        expect((error as Error).message).toBe(
          `POST /v1/charges answered ${status}: the provider refused the API key: invalid api key`,
        );
        expect(logged).toHaveBeenCalledWith(expect.stringMatching(/GATEWAY_API_KEY.*wrong or revoked/));
      } finally {
        logged.mockRestore();
      }
    },
  );

  it.each([400, 409, 422])('maps %i to GatewayRequestRejectedError carrying the provider message', async (status) => {
    provider.reply = (_req, res) =>
      json(res, status, { error: 'idempotency_key_reused', message: 'key used with another body' });
    const error = await gateway.charge(charge).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayRequestRejectedError);
    expect(error).not.toBeInstanceOf(GatewayAuthenticationError);
    expect((error as Error).message).toBe(`POST /v1/charges answered ${status}: key used with another body`);
  });

  it('keeps a non-JSON error body as the message, truncated', async () => {
    provider.reply = (_req, res) => res.writeHead(400, { 'content-type': 'text/plain' }).end('x'.repeat(2000));
    const error = (await gateway.charge(charge).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(GatewayRequestRejectedError);
    expect(error.message).toBe(`POST /v1/charges answered 400: ${'x'.repeat(500)}…`);
  });

  it('treats an unreadable 2xx charge as transient (the retry looks it up)', async () => {
    provider.reply = (_req, res) => json(res, 201, { status: 'mystery' });
    await expect(gateway.charge(charge)).rejects.toBeInstanceOf(GatewayUnavailableError);
  });

  it('looks a charge up by the payment id: 200 the charge, 404 none', async () => {
    provider.lookupReply = (req, res) =>
      req.url === `/v1/charges?idempotency_key=${PAYMENT_ID}`
        ? json(res, 200, { id: 'ch_5', status: 'succeeded', amount: 12_345, currency: 'SAR' })
        : json(res, 404, { message: 'no such charge' });
    await expect(gateway.chargeStatus(PAYMENT_ID)).resolves.toEqual({ status: 'succeeded', gatewayRef: 'ch_5' });
    await expect(gateway.chargeStatus('0190f5b2-0000-7000-8000-000000000000')).resolves.toBeUndefined();
    expect(provider.received.map((r) => [r.method, r.headers.authorization])).toEqual([
      ['GET', `Bearer ${API_KEY}`],
      ['GET', `Bearer ${API_KEY}`],
    ]);
    provider.lookupReply = (_req, res) => json(res, 503, { message: 'down' });
    await expect(gateway.chargeStatus(PAYMENT_ID)).rejects.toBeInstanceOf(GatewayUnavailableError);
    await expect(gateway.charge(charge)).rejects.toBeInstanceOf(GatewayUnavailableError);
    expect(posts()).toEqual([]);
  });

  it('refunds with Idempotency-Key refund-<payment id> and body { charge, amount }', async () => {
    provider.reply = (_req, res) => json(res, 201, { id: 're_1', status: 'succeeded' });
    await expect(
      gateway.refund({ paymentId: PAYMENT_ID, gatewayRef: 'ch_1', amount: 12_345, currency: 'SAR' }),
    ).resolves.toEqual({ refundRef: 're_1' });
    const [sent] = posts();
    expect([sent.method, sent.url, sent.headers['idempotency-key']]).toEqual([
      'POST',
      '/v1/refunds',
      `refund-${PAYMENT_ID}`,
    ]);
    expect(sent.body).toEqual({ charge: 'ch_1', amount: 12_345 });
  });

  it('refuses a failed refund and a refund the provider rejects; retries a 5xx', async () => {
    const refund = { paymentId: PAYMENT_ID, gatewayRef: 'ch_1', amount: 12_345, currency: 'SAR' };
    provider.reply = (_req, res) => json(res, 201, { id: 're_2', status: 'failed' });
    await expect(gateway.refund(refund)).rejects.toBeInstanceOf(GatewayRequestRejectedError);
    provider.reply = (_req, res) => json(res, 422, { message: 'charge ch_1 was not succeeded' });
    await expect(gateway.refund(refund)).rejects.toThrow(
      'POST /v1/refunds answered 422: charge ch_1 was not succeeded',
    );
    provider.reply = (_req, res) => json(res, 502, {});
    await expect(gateway.refund(refund)).rejects.toBeInstanceOf(GatewayUnavailableError);
  });
});
