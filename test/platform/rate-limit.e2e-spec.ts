import request from 'supertest';
import { ProbeController } from '../support/probe.controller.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

describe('rate limits shared through Redis', () => {
  let t: TestApp;
  const LIMIT = 3;

  beforeAll(async () => {
    t = await startTestApp({ controllers: [ProbeController], env: { RATE_LIMIT_PER_MINUTE: String(LIMIT) } });
  });
  afterAll(() => t.close());

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
  });

  it('keeps the counters in Redis under the app prefix, so every instance shares them', async () => {
    const { Redis } = await import('ioredis');
    const redis = new Redis(t.config.redisUrl);
    try {
      const keys = await redis.keys(`${t.config.queuePrefix}:throttle:*`);
      expect(keys.length).toBeGreaterThan(0);
    } finally {
      await redis.quit();
    }
  });
});
