import { APP_ROLES, ConfigError, loadConfig } from './app-config.js';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('loadConfig', () => {
  it('gives a working development configuration with no variables set', () => {
    const config = loadConfig({});
    expect(config.nodeEnv).toBe('development');
    expect(config.databaseUrl).toBe('postgres://postgres@127.0.0.1:5432/debts_hub');
    expect(config.dbCreate).toBe(true);
    expect(config.dbMigrationsRun).toBe(true);
    expect(config.redisUrl).toBe('redis://127.0.0.1:6379');
    expect(config.queuePrefix).toBe('debts-hub');
    expect(config.port).toBe(3000);
    expect([...config.roles]).toEqual([...APP_ROLES]);
    expect(config.idempotencyTtlHours).toBe(24);
    expect(config.httpBodyLimit).toBe('100kb');
    expect(config.rateLimitPerMinute).toBe(600);
    expect(config.corsOrigins).toEqual([]);
    expect(config.logLevel).toBe('info');
    expect(config.authJwtSecret.length).toBeGreaterThanOrEqual(32);
  });

  it('reads roles and lists', () => {
    const config = loadConfig({ APP_ROLES: 'api, worker', CORS_ORIGINS: 'https://a.example,https://b.example' });
    expect([...config.roles]).toEqual(['api', 'worker']);
    expect(config.corsOrigins).toEqual(['https://a.example', 'https://b.example']);
  });

  it('reports every problem at once, one line each', () => {
    const problems = problemsOf({
      PORT: 'eighty',
      APP_ROLES: 'api,cook',
      GATEWAY_SIM_DECLINE_RATE: '1.5',
      DB_MIGRATIONS_RUN: 'yes',
      QUEUE_PREFIX: 'has:colon',
      LOG_LEVEL: 'loud',
    });
    expect(problems).toHaveLength(6);
    expect(problems.join('\n')).toMatch(/PORT/);
    expect(problems.join('\n')).toMatch(/APP_ROLES has unknown roles cook/);
    expect(problems.join('\n')).toMatch(/GATEWAY_SIM_DECLINE_RATE must be a number from 0 to 1/);
    expect(problems.join('\n')).toMatch(/DB_MIGRATIONS_RUN must be "true" or "false"/);
    expect(problems.join('\n')).toMatch(/QUEUE_PREFIX/);
    expect(problems.join('\n')).toMatch(/LOG_LEVEL/);
  });

  it('requires real secrets in production and never echoes them', () => {
    const problems = problemsOf({ NODE_ENV: 'production' });
    expect(problems).toEqual([
      'AUTH_JWT_SECRET is required outside development',
      'GATEWAY_WEBHOOK_SECRET is required outside development',
    ]);
    const short = problemsOf({
      NODE_ENV: 'production',
      AUTH_JWT_SECRET: 'hunter2',
      GATEWAY_WEBHOOK_SECRET: 'x'.repeat(20),
    });
    expect(short).toEqual(['AUTH_JWT_SECRET must be at least 32 characters long']);
    expect(short.join()).not.toContain('hunter2');
  });

  it('does not echo a database URL that may hold a password', () => {
    const problems = problemsOf({ DATABASE_URL: 'not a url with s3cret' });
    expect(problems).toEqual(['DATABASE_URL is not a valid URL']);
    expect(problemsOf({ DATABASE_URL: 'mysql://u:s3cret@h/db' })).toEqual([
      'DATABASE_URL must use postgres:// or postgresql:// (got mysql://)',
    ]);
  });

  it('requires the admin username and password together', () => {
    expect(problemsOf({ ADMIN_USERNAME: 'ops' })).toEqual(['ADMIN_USERNAME and ADMIN_PASSWORD must be set together']);
  });

  it('reads the order reservation TTL and the routing time limit, with defaults and bounds', () => {
    expect(loadConfig({}).fulfilment).toEqual({ reservationTtlMs: 900_000, routingTimeLimitMs: 200 });
    expect(loadConfig({ ORDER_RESERVATION_TTL_MS: '60000', ROUTING_TIME_LIMIT_MS: '50' }).fulfilment).toEqual({
      reservationTtlMs: 60_000,
      routingTimeLimitMs: 50,
    });
    expect(problemsOf({ ORDER_RESERVATION_TTL_MS: '10', ROUTING_TIME_LIMIT_MS: '60000' })).toEqual([
      `ORDER_RESERVATION_TTL_MS must be an integer from 100 to ${Number.MAX_SAFE_INTEGER} (got "10")`,
      'ROUTING_TIME_LIMIT_MS must be an integer from 10 to 10000 (got "60000")',
    ]);
  });

  it('reads the reconciliation interval and the payment pending timeout, with defaults and bounds', () => {
    expect(loadConfig({}).reconciliation).toEqual({ intervalMs: 60_000, paymentPendingTimeoutMs: 300_000 });
    expect(
      loadConfig({ RECONCILIATION_INTERVAL_MS: '5000', PAYMENT_PENDING_TIMEOUT_MS: '120000' }).reconciliation,
    ).toEqual({ intervalMs: 5000, paymentPendingTimeoutMs: 120_000 });
    expect(problemsOf({ RECONCILIATION_INTERVAL_MS: '10', PAYMENT_PENDING_TIMEOUT_MS: 'soon' })).toEqual([
      `RECONCILIATION_INTERVAL_MS must be an integer from 1000 to ${Number.MAX_SAFE_INTEGER} (got "10")`,
      `PAYMENT_PENDING_TIMEOUT_MS must be an integer from 1000 to ${Number.MAX_SAFE_INTEGER} (got "soon")`,
    ]);
  });

  it('chooses the payment gateway: the simulator by default, the HTTP provider with its URL and key', () => {
    expect(loadConfig({}).paymentGateway).toEqual({
      kind: 'simulated',
      url: undefined,
      apiKey: undefined,
      timeoutMs: 5000,
    });
    expect(
      loadConfig({
        PAYMENT_GATEWAY: 'http',
        GATEWAY_URL: 'https://psp.example/',
        GATEWAY_API_KEY: 'sk_test_1',
        GATEWAY_TIMEOUT_MS: '800',
      }).paymentGateway,
    ).toEqual({ kind: 'http', url: 'https://psp.example', apiKey: 'sk_test_1', timeoutMs: 800 });
    expect(problemsOf({ PAYMENT_GATEWAY: 'http' })).toEqual([
      'GATEWAY_URL is required when PAYMENT_GATEWAY=http',
      'GATEWAY_API_KEY is required when PAYMENT_GATEWAY=http',
    ]);
    expect(problemsOf({ PAYMENT_GATEWAY: 'http', GATEWAY_URL: 'ftp://psp.example', GATEWAY_API_KEY: 'k' })).toEqual([
      'GATEWAY_URL must use http:// or https:// (got ftp://)',
    ]);
    expect(problemsOf({ PAYMENT_GATEWAY: 'stripe', GATEWAY_TIMEOUT_MS: '0' })).toEqual([
      'PAYMENT_GATEWAY must be one of simulated, http (got "stripe")',
      'GATEWAY_TIMEOUT_MS must be an integer from 1 to 600000 (got "0")',
    ]);
  });
});
