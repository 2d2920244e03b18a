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
      'config error: GATEWAY_WEBHOOK_SECRET is required outside development',
      'config error: RATE_LIMIT_PER_MINUTE must be an integer from 1 to 9007199254740991 (got "-1")',
    ]);
    expect(app.output()).not.toContain('short-s3cret');
  });
});
