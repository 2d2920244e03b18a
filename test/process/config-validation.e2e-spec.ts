import { spawnApp } from '../support/app-process.js';

describe('configuration validation at start', () => {
  it('stops with a non-zero exit and one clear line per problem, echoing no secret', async () => {
    const app = spawnApp({
      NODE_ENV: 'production',
      PORT: 'eighty',
      APP_ROLES: 'api,cook',
      AUTH_JWT_SECRET: 'short-s3cret',
      RATE_LIMIT_PER_MINUTE: '-1',
    });
    expect(await app.exited).toBe(1);
    const lines = app.output().trim().split('\n');
    expect(lines).toEqual([
      'config error: PORT must be an integer from 0 to 65535 (got "eighty")',
      'config error: APP_ROLES has unknown roles cook; allowed: api, relay, worker, scheduler',
      'config error: AUTH_JWT_SECRET must be at least 32 characters long',
      'config error: GATEWAY_WEBHOOK_SECRET is required in production',
      'config error: RATE_LIMIT_PER_MINUTE must be an integer from 1 to 9007199254740991 (got "-1")',
      'config error: PAYMENT_GATEWAY=simulated takes no money: set PAYMENT_GATEWAY=http with GATEWAY_URL and GATEWAY_API_KEY',
      'config error: ADMIN_USERNAME and ADMIN_PASSWORD are required in production (Bull Board)',
      'config error: METRICS_TOKEN is required in production, or METRICS_PUBLIC=true when the network protects /metrics',
    ]);
    expect(app.output()).not.toContain('short-s3cret');
  });

  it('treats an unset NODE_ENV as production: no development secret falls in', async () => {
    const app = spawnApp({ PORT: '0' });
    expect(await app.exited).toBe(1);
    const lines = app.output().trim().split('\n');
    expect(lines).toContain('config error: AUTH_JWT_SECRET is required in production');
    expect(lines).toContain('config error: GATEWAY_WEBHOOK_SECRET is required in production');
    expect(lines.every((line) => line.startsWith('config error: '))).toBe(true);
  });
});
