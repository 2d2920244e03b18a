import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyWebhookSignature } from '../../src/modules/payments/index.js';
import { GatewayStub } from './gateway-stub.js';
import { DEFAULT_STUB_SETTINGS, type StubSettings, stubSettingsFromEnv } from './stub-settings.js';

const KEY = 'stub-unit-key';
const SECRET = 'stub-unit-webhook-secret';
const body = (paymentId: string, amount = 500) => ({
  amount,
  currency: 'SAR',
  reference: 'FINE-1',
  metadata: { paymentId, purpose: 'debt' },
});

/** A webhook receiver: records raw bodies with their signature header. */
async function receiver(): Promise<{ url: string; got: Array<{ raw: string; signature: string }>; server: Server }> {
  const got: Array<{ raw: string; signature: string }> = [];
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      got.push({ raw, signature: String(req.headers['x-gateway-signature']) });
      res.writeHead(200).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, got, server };
}

describe('GatewayStub', () => {
  let stub: GatewayStub;
  let base: string;

  async function start(settings: Partial<StubSettings> = {}): Promise<void> {
    stub = new GatewayStub({ ...DEFAULT_STUB_SETTINGS, apiKey: KEY, webhookSecret: SECRET, ...settings });
    base = `http://127.0.0.1:${await stub.listen(0)}`;
  }
  afterEach(() => stub.close());

  const call = (method: string, path: string, json?: unknown, headers: Record<string, string> = {}) =>
    fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json', ...headers },
      body: json === undefined ? undefined : JSON.stringify(json),
    });

  it('charges once per idempotency key; another body under the key is a 422; lookups find it', async () => {
    await start();
    const first = await call('POST', '/v1/charges', body('p1'), { 'idempotency-key': 'p1' });
    expect(first.status).toBe(201);
    const charge = await first.json();
    expect(charge).toMatchObject({ status: 'succeeded', amount: 500, currency: 'SAR' });
    const again = await call('POST', '/v1/charges', body('p1'), { 'idempotency-key': 'p1' });
    expect([again.status, await again.json()]).toEqual([200, charge]);
    const other = await call('POST', '/v1/charges', body('p1', 501), { 'idempotency-key': 'p1' });
    expect(other.status).toBe(422);
    expect(await other.json()).toMatchObject({ message: 'idempotency key p1 was used with another request body' });
    const found = await call('GET', '/v1/charges?idempotency_key=p1');
    expect([found.status, await found.json()]).toEqual([200, charge]);
    expect((await call('GET', '/v1/charges?idempotency_key=p2')).status).toBe(404);
    const stats = await (await fetch(`${base}/_stub/charges/p1`)).json();
    expect(stats).toMatchObject({ chargeRequests: 3, chargesCreated: 1, lookups: 1 });
  });

  it('refuses a wrong bearer key with 401', async () => {
    await start();
    const res = await fetch(`${base}/v1/charges?idempotency_key=p1`, { headers: { authorization: 'Bearer nope' } });
    expect(res.status).toBe(401);
  });

  it('declines with 402, injects 503 and 422, and refunds a succeeded charge once per key', async () => {
    await start({ declineRate: 1 });
    const declined = await call('POST', '/v1/charges', body('p1'), { 'idempotency-key': 'p1' });
    expect([declined.status, ((await declined.json()) as { failureCode: string }).failureCode]).toEqual([
      402,
      'card_declined',
    ]);
    stub.settings = { ...stub.settings, declineRate: 0, errorRate: 1 };
    expect((await call('POST', '/v1/charges', body('p2'), { 'idempotency-key': 'p2' })).status).toBe(503);
    stub.settings = { ...stub.settings, errorRate: 0, rejectRate: 1 };
    expect((await call('POST', '/v1/charges', body('p2'), { 'idempotency-key': 'p2' })).status).toBe(422);
    stub.settings = { ...stub.settings, rejectRate: 0 };
    const charged = (await (await call('POST', '/v1/charges', body('p2'), { 'idempotency-key': 'p2' })).json()) as {
      id: string;
    };
    const refund = { charge: charged.id, amount: 500 };
    const made = await call('POST', '/v1/refunds', refund, { 'idempotency-key': 'refund-p2' });
    expect(made.status).toBe(201);
    const again = await call('POST', '/v1/refunds', refund, { 'idempotency-key': 'refund-p2' });
    expect(again.status).toBe(200);
    expect((await call('POST', '/v1/refunds', refund, { 'idempotency-key': 'refund-x' })).status).toBe(422);
  });

  it('signs webhooks so the app verifies them, and posts a duplicate with the same event id', async () => {
    const hook = await receiver();
    try {
      await start({ webhookUrl: hook.url, webhookDuplicateRate: 1 });
      await call('POST', '/v1/charges', body('0190f5b2-7c3e-7a1b-9c4d-2e5f6a7b8c9d'), { 'idempotency-key': 'k' });
      const deadline = Date.now() + 5000;
      while (hook.got.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(hook.got).toHaveLength(2);
      const now = Math.floor(Date.now() / 1000);
      for (const { raw, signature } of hook.got) {
        expect(verifyWebhookSignature(signature, Buffer.from(raw), SECRET, now)).toEqual({ valid: true });
      }
      expect(JSON.parse(hook.got[0].raw)).toMatchObject({
        paymentId: '0190f5b2-7c3e-7a1b-9c4d-2e5f6a7b8c9d',
        status: 'succeeded',
        amount: 500,
        currency: 'SAR',
      });
      expect(hook.got[1].raw).toBe(hook.got[0].raw);
    } finally {
      hook.server.close();
    }
  });

  it('reads STUB_* settings and refuses bad ones', () => {
    expect(stubSettingsFromEnv({ STUB_DECLINE_RATE: '0.5', STUB_LATENCY_MS: '20' })).toMatchObject({
      declineRate: 0.5,
      latencyMs: 20,
    });
    expect(() => stubSettingsFromEnv({ STUB_DECLINE_RATE: '2', STUB_LATENCY_MS: '1.5' })).toThrow(
      'STUB_LATENCY_MS must be whole milliseconds (got 1.5); STUB_DECLINE_RATE must be a number from 0 to 1 (got 2)',
    );
  });
});
