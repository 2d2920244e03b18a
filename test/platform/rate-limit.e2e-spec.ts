import { ThrottlerStorage } from '@nestjs/throttler';
import { PerProcessThrottlerStorage } from '../../src/platform/throttling/failover-throttler-storage.js';
import request from 'supertest';
import { ProbeController } from '../support/probe.controller.js';
import { useTestApp } from '../support/scenario.js';

const WEBHOOK = '/v1/payments/gateway-webhook';

describe('rate limits: shared through Redis, per process on the PostgreSQL queue backend', () => {
  const LIMIT = 3;
  const WEBHOOK_LIMIT = 5;
  const t = useTestApp({
    controllers: [ProbeController],
    env: { RATE_LIMIT_PER_MINUTE: String(LIMIT), RATE_LIMIT_WEBHOOK_PER_MINUTE: String(WEBHOOK_LIMIT) },
  });

  it('answers 429 problem+json with Retry-After once a principal exceeds its limit, per principal', async () => {
    const alice = `Bearer ${t.token({ sub: 'alice', roles: ['citizen'] })}`;
    for (let i = 0; i < LIMIT; i++) {
      expect((await request(t.url).get('/probe/me').set('Authorization', alice)).status).toBe(200);
    }
    const limited = await request(t.url).get('/probe/me').set('Authorization', alice);
    expect(limited.status).toBe(429);
    expect(limited.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(limited.body).toMatchObject({ type: '/problems/rate-limited', status: 429 });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);

    const bob = `Bearer ${t.token({ sub: 'bob', roles: ['citizen'] })}`;
    expect((await request(t.url).get('/probe/me').set('Authorization', bob)).status).toBe(200);
    // Identity is (roles, subject): the same subject as a customer is someone else.
    const aliceCustomer = `Bearer ${t.token({ sub: 'alice', roles: ['customer'] })}`;
    expect((await request(t.url).get('/probe/me').set('Authorization', aliceCustomer)).status).toBe(200);
  });

  it('gives a principal one budget across all routes, not one per route', async () => {
    const carol = `Bearer ${t.token({ sub: 'carol', roles: ['citizen'] })}`;
    const body = { name: 'x', amount: 1 };
    // Alternating two routes: a per-route budget would allow 2 * LIMIT calls.
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT; i++) {
      const response =
        i % 2 === 0
          ? await request(t.url).get('/probe/me').set('Authorization', carol)
          : await request(t.url).post('/probe/echo').set('Authorization', carol).send(body);
      statuses.push(response.status);
    }
    expect(statuses).toEqual([200, 201, 200]);
    expect((await request(t.url).post('/probe/echo').set('Authorization', carol).send(body)).status).toBe(429);
    expect((await request(t.url).get('/probe/me').set('Authorization', carol)).status).toBe(429);
  });

  it('counts gateway webhook posts in a budget of their own, apart from the anonymous one', async () => {
    const junk = () => request(t.url).post(WEBHOOK).send({ eventId: 'junk' });
    const anonymous = (forwardedFor: string) =>
      request(t.url).post('/probe/echo').set('X-Forwarded-For', forwardedFor).send({ name: 'x', amount: 1 });

    // Unsigned posts are refused by the signature check, after the rate limiter counted them.
    for (let i = 0; i < LIMIT; i++) expect((await junk()).status).toBe(400);
    // They did not use the anonymous budget of this address. With TRUST_PROXY_HOPS=0 a made-up
    // X-Forwarded-For changes nothing: every call counts for the socket's address.
    for (let i = 0; i < LIMIT; i++) expect((await anonymous(`198.51.100.${i}`)).status).toBe(201);
    const anonymousLimited = await anonymous('198.51.100.99');
    expect(anonymousLimited.status).toBe(429);

    // An anonymous budget used up does not starve the webhook: it has WEBHOOK_LIMIT of its own.
    for (let i = LIMIT; i < WEBHOOK_LIMIT; i++) expect((await junk()).status).toBe(400);
    const webhookLimited = await junk();
    expect(webhookLimited.status).toBe(429);
    expect(Number(webhookLimited.headers['retry-after-webhook'])).toBeGreaterThan(0);
  });

  it('keeps the counters in Redis under the app prefix, so every instance shares them; or in the process without Redis', async () => {
    if (t.config.queueBackend === 'postgres') {
      // No Redis: each process counts its own (ADR 0035), in the throttler's in-memory storage.
      const storage = t.app.get<PerProcessThrottlerStorage>(ThrottlerStorage);
      expect(storage).toBeInstanceOf(PerProcessThrottlerStorage);
      expect(storage.size).toBeGreaterThan(0);
      return;
    }
    const { Redis } = await import('ioredis');
    const redis = new Redis(t.config.redisUrl);
    try {
      const keys = await redis.keys(`${t.config.queuePrefix}:throttle:*`);
      expect(keys.length).toBeGreaterThan(0);
      // One key per caller and budget: no route or handler name in it.
      expect(keys).toContain(`${t.config.queuePrefix}:throttle:{principal-citizen-carol:default}:hits`);
      expect(keys).toContain(`${t.config.queuePrefix}:throttle:{ip-127.0.0.1:webhook}:hits`);
      expect(keys).toContain(`${t.config.queuePrefix}:throttle:{ip-127.0.0.1:default}:hits`);
    } finally {
      await redis.quit();
    }
  });
});

describe('rate limits behind TRUST_PROXY_HOPS=1', () => {
  const LIMIT = 2;
  const t = useTestApp({
    controllers: [ProbeController],
    env: { RATE_LIMIT_PER_MINUTE: String(LIMIT), TRUST_PROXY_HOPS: '1' },
  });

  const echo = (forwardedFor: string) =>
    request(t.url).post('/probe/echo').set('X-Forwarded-For', forwardedFor).send({ name: 'x', amount: 1 });

  it("counts anonymous calls for the address the trusted proxy saw (X-Forwarded-For's last entry)", async () => {
    // What the client wrote itself (the entries before the proxy's) changes nothing.
    expect((await echo('10.0.0.1, 203.0.113.5')).status).toBe(201);
    expect((await echo('10.9.9.9, 203.0.113.5')).status).toBe(201);
    expect((await echo('203.0.113.5')).status).toBe(429);
    // Another client behind the same proxy has its own budget.
    expect((await echo('10.0.0.1, 203.0.113.6')).status).toBe(201);
    // IPv4-mapped IPv6 is the same client as its IPv4 address.
    expect((await echo('::ffff:203.0.113.6')).status).toBe(201);
    expect((await echo('203.0.113.6')).status).toBe(429);
  });

  it('groups anonymous IPv6 clients by /64', async () => {
    expect((await echo('2001:db8:7:7::1')).status).toBe(201);
    expect((await echo('2001:db8:7:7:ffff:1:2:3')).status).toBe(201);
    expect((await echo('2001:db8:7:7::abcd')).status).toBe(429);
    expect((await echo('2001:db8:7:8::1')).status).toBe(201);
  });
});
