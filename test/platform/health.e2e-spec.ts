import request from 'supertest';
import { startTestApp, type TestApp } from '../support/test-app.js';

describe('health', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('is live', async () => {
    const res = await request(t.url).get('/health/live');
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('ok');
  });

  it('is ready when the database, Redis and migrations are', async () => {
    const res = await request(t.url).get('/health/ready');
    expect(res.status).toBe(200);
    expect(res.body.details).toMatchObject({
      database: { status: 'up' },
      redis: { status: 'up' },
      migrations: { status: 'up' },
    });
  });
});
