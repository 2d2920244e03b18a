import { availableParallelism } from 'node:os';
import { APP_ROLES, ConfigError, KNOWN_DEVELOPMENT_SECRETS, loadConfig } from './app-config.js';

/** Development must be asked for: most cases here read a development configuration. */
const DEV = { NODE_ENV: 'development' } as const;

/** A production environment that passes every safety check. */
const SAFE_PRODUCTION = {
  NODE_ENV: 'production',
  AUTH_JWT_SECRET: 'p'.repeat(40),
  GATEWAY_WEBHOOK_SECRET: 'w'.repeat(40),
  PAYMENT_GATEWAY: 'http',
  GATEWAY_URL: 'https://psp.example',
  GATEWAY_API_KEY: 'k'.repeat(40),
  ADMIN_USERNAME: 'ops',
  ADMIN_PASSWORD: 'a long admin passphrase',
  METRICS_TOKEN: 'm'.repeat(40),
} as const;

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig({ ...DEV, ...env });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('loadConfig', () => {
  it('gives a working development configuration with no variables set', () => {
    const config = loadConfig(DEV);
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

  it('reads the rate-limit budgets and the trusted proxy hops', () => {
    expect(loadConfig(DEV)).toMatchObject({ rateLimitWebhookPerMinute: 6000, trustProxyHops: 0 });
    expect(loadConfig({ ...DEV, RATE_LIMIT_WEBHOOK_PER_MINUTE: '50', TRUST_PROXY_HOPS: '2' })).toMatchObject({
      rateLimitWebhookPerMinute: 50,
      trustProxyHops: 2,
    });
    expect(problemsOf({ RATE_LIMIT_WEBHOOK_PER_MINUTE: '0', TRUST_PROXY_HOPS: '-1' })).toEqual([
      'RATE_LIMIT_WEBHOOK_PER_MINUTE must be an integer from 1 to 9007199254740991 (got "0")',
      'TRUST_PROXY_HOPS must be an integer from 0 to 10 (got "-1")',
    ]);
  });

  it('reads roles and lists', () => {
    const config = loadConfig({
      ...DEV,
      APP_ROLES: 'api, worker',
      CORS_ORIGINS: 'https://a.example,https://b.example',
    });
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

  it('is production when NODE_ENV is unset, and then falls back to nothing', () => {
    expect(problemsOf({ NODE_ENV: '' })).toEqual([
      'AUTH_JWT_SECRET is required in production',
      'GATEWAY_WEBHOOK_SECRET is required in production',
      'PAYMENT_GATEWAY=simulated takes no money: set PAYMENT_GATEWAY=http with GATEWAY_URL and GATEWAY_API_KEY',
      'ADMIN_USERNAME and ADMIN_PASSWORD are required in production (Bull Board)',
      'METRICS_TOKEN is required in production, or METRICS_PUBLIC=true when the network protects /metrics',
    ]);
    expect(() => loadConfig({})).toThrow(ConfigError);
  });

  it('starts in production when every safety setting is given, with no development fallback', () => {
    const config = loadConfig(SAFE_PRODUCTION);
    expect(config.nodeEnv).toBe('production');
    expect(config.developmentFallbacks).toEqual([]);
    expect(config.dbCreate).toBe(false);
  });

  it('uses development fallbacks only when development or test is asked for, and names them', () => {
    expect(loadConfig(DEV).developmentFallbacks).toEqual(['AUTH_JWT_SECRET', 'GATEWAY_WEBHOOK_SECRET']);
    expect(loadConfig({ NODE_ENV: 'test' }).developmentFallbacks).toEqual([
      'AUTH_JWT_SECRET',
      'GATEWAY_WEBHOOK_SECRET',
    ]);
    expect(loadConfig({ ...DEV, AUTH_JWT_SECRET: 's'.repeat(32) }).developmentFallbacks).toEqual([
      'GATEWAY_WEBHOOK_SECRET',
    ]);
  });

  it('refuses in production every secret published in the source, one line each, echoing none', () => {
    const [jwt, webhook] = [...KNOWN_DEVELOPMENT_SECRETS];
    const problems = problemsOf({
      ...SAFE_PRODUCTION,
      AUTH_JWT_SECRET: jwt,
      GATEWAY_WEBHOOK_SECRET: webhook,
      GATEWAY_API_KEY: jwt,
      ADMIN_PASSWORD: jwt,
    });
    expect(problems).toEqual([
      'AUTH_JWT_SECRET is a development secret published in the source: set a secret of your own',
      'GATEWAY_WEBHOOK_SECRET is a development secret published in the source: set a secret of your own',
      'GATEWAY_API_KEY is a development secret published in the source: set a secret of your own',
      'ADMIN_PASSWORD is a development secret published in the source: set a secret of your own',
    ]);
    for (const secret of KNOWN_DEVELOPMENT_SECRETS) expect(problems.join('\n')).not.toContain(secret);
  });

  it('refuses in production a short admin password and metrics open without METRICS_PUBLIC', () => {
    expect(problemsOf({ ...SAFE_PRODUCTION, ADMIN_PASSWORD: 'short-pass1' })).toEqual([
      'ADMIN_PASSWORD must be at least 12 characters long',
    ]);
    const { METRICS_TOKEN: _token, ...noMetricsToken } = SAFE_PRODUCTION;
    expect(problemsOf(noMetricsToken)).toEqual([
      'METRICS_TOKEN is required in production, or METRICS_PUBLIC=true when the network protects /metrics',
    ]);
    expect(problemsOf({ ...noMetricsToken, METRICS_PUBLIC: 'true' })).toEqual([]);
    // Development keeps its conveniences: short passwords, open metrics, the simulator.
    expect(problemsOf({ ADMIN_USERNAME: 'ops', ADMIN_PASSWORD: 'short' })).toEqual([]);
  });

  it('requires long enough secrets and never echoes them', () => {
    const short = problemsOf({
      ...SAFE_PRODUCTION,
      AUTH_JWT_SECRET: 'hunter2',
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

  it('behind a transaction pooler: a direct URL, unnamed statements by default, inconsistent settings refused', () => {
    const pooler = 'postgres://app@pgbouncer:6432/debts_hub';
    const direct = 'postgres://app@db:5432/debts_hub';
    const plain = loadConfig({ NODE_ENV: 'test' });
    expect(plain.databaseDirectUrl).toBeUndefined();
    expect(plain.dbPreparedStatements).toBe(true);
    const pooled = loadConfig({ NODE_ENV: 'test', DATABASE_URL: pooler, DATABASE_DIRECT_URL: direct });
    expect(pooled.databaseDirectUrl).toBe(direct);
    expect(pooled.dbPreparedStatements).toBe(false);
    // PgBouncer 1.21+ with max_prepared_statements carries named statements: allowed.
    expect(
      loadConfig({
        NODE_ENV: 'test',
        DATABASE_URL: pooler,
        DATABASE_DIRECT_URL: direct,
        DB_PREPARED_STATEMENTS: 'true',
      }).dbPreparedStatements,
    ).toBe(true);
    expect(problemsOf({ DB_PREPARED_STATEMENTS: 'false' })).toEqual([
      'DB_PREPARED_STATEMENTS=false is for a transaction pooler at DATABASE_URL: set DATABASE_DIRECT_URL too (LISTEN, migrations and task locks need a direct session)',
    ]);
    expect(problemsOf({ DATABASE_URL: direct, DATABASE_DIRECT_URL: direct })).toEqual([
      'DATABASE_DIRECT_URL is the same as DATABASE_URL: set it only when DATABASE_URL is a pooler',
    ]);
    expect(problemsOf({ DATABASE_DIRECT_URL: 'mysql://u:s3cret@h/db' })).toEqual([
      'DATABASE_DIRECT_URL must use postgres:// or postgresql:// (got mysql://)',
    ]);
  });

  it('reads a Redis Cluster or a Redis Sentinel topology, and refuses inconsistent ones, one line each', () => {
    expect(loadConfig({ NODE_ENV: 'test' })).toMatchObject({ redisClusterNodes: undefined, redisSentinel: undefined });
    const cluster = loadConfig({ NODE_ENV: 'test', REDIS_CLUSTER_NODES: 'r1:7000, r2:7001,[::1]:7002' });
    expect(cluster.queueBackend).toBe('redis');
    expect(cluster.redisClusterNodes).toEqual([
      { host: 'r1', port: 7000 },
      { host: 'r2', port: 7001 },
      { host: '::1', port: 7002 },
    ]);
    const sentinel = loadConfig({
      NODE_ENV: 'test',
      REDIS_SENTINELS: 's1:26379,s2:26379',
      REDIS_SENTINEL_NAME: 'main',
    });
    expect(sentinel.queueBackend).toBe('redis');
    expect(sentinel.redisSentinel).toEqual({
      sentinels: [
        { host: 's1', port: 26379 },
        { host: 's2', port: 26379 },
      ],
      name: 'main',
    });
    expect(
      problemsOf({ REDIS_CLUSTER_NODES: 'r1:7000', REDIS_SENTINELS: 's1:26379', REDIS_SENTINEL_NAME: 'm' }),
    ).toEqual([
      'REDIS_CLUSTER_NODES and REDIS_SENTINELS are both set: choose Redis Cluster or Redis Sentinel, not both',
    ]);
    expect(problemsOf({ REDIS_SENTINELS: 's1:26379' })).toEqual([
      'REDIS_SENTINELS is set without REDIS_SENTINEL_NAME: name the master the sentinels monitor',
    ]);
    expect(problemsOf({ REDIS_SENTINEL_NAME: 'main' })).toEqual([
      'REDIS_SENTINEL_NAME is set without REDIS_SENTINELS: list the sentinels (host:port,...)',
    ]);
    expect(problemsOf({ REDIS_CLUSTER_NODES: 'r1:7000', QUEUE_BACKEND: 'postgres' })).toEqual([
      'REDIS_CLUSTER_NODES is set with QUEUE_BACKEND=postgres: it applies only to QUEUE_BACKEND=redis',
    ]);
    expect(problemsOf({ REDIS_SENTINELS: 's1:26379', REDIS_SENTINEL_NAME: 'm', QUEUE_BACKEND: 'postgres' })).toEqual([
      'REDIS_SENTINELS is set with QUEUE_BACKEND=postgres: it applies only to QUEUE_BACKEND=redis',
    ]);
    expect(problemsOf({ REDIS_CLUSTER_NODES: 'r1:7000,r2' })).toEqual([
      'REDIS_CLUSTER_NODES must be a comma-separated list of host:port (got "r2")',
    ]);
    expect(problemsOf({ REDIS_CLUSTER_NODES: 'r1:70000' })).toEqual([
      'REDIS_CLUSTER_NODES must be a comma-separated list of host:port (got "r1:70000")',
    ]);
  });

  it('requires the admin username and password together', () => {
    expect(problemsOf({ ADMIN_USERNAME: 'ops' })).toEqual(['ADMIN_USERNAME and ADMIN_PASSWORD must be set together']);
  });

  it('reads the order reservation TTL and the routing time limit, with defaults and bounds', () => {
    expect(loadConfig(DEV).fulfilment).toMatchObject({ reservationTtlMs: 900_000, routingTimeLimitMs: 200 });
    expect(
      loadConfig({ ...DEV, ORDER_RESERVATION_TTL_MS: '60000', ROUTING_TIME_LIMIT_MS: '50' }).fulfilment,
    ).toMatchObject({
      reservationTtlMs: 60_000,
      routingTimeLimitMs: 50,
    });
    expect(problemsOf({ ORDER_RESERVATION_TTL_MS: '10', ROUTING_TIME_LIMIT_MS: '60000' })).toEqual([
      `ORDER_RESERVATION_TTL_MS must be an integer from 100 to ${Number.MAX_SAFE_INTEGER} (got "10")`,
      'ROUTING_TIME_LIMIT_MS must be an integer from 10 to 10000 (got "60000")',
    ]);
  });

  it('reads the routing solver threads: one per two CPUs by default, from 1 to 64', () => {
    const cpus = availableParallelism();
    expect(loadConfig(DEV).fulfilment.routingSolverThreads).toBe(Math.max(1, Math.floor(cpus / 2)));
    expect(loadConfig({ ...DEV, ROUTING_SOLVER_THREADS: '3' }).fulfilment.routingSolverThreads).toBe(3);
    expect(problemsOf({ ROUTING_SOLVER_THREADS: '0' })).toEqual([
      'ROUTING_SOLVER_THREADS must be an integer from 1 to 64 (got "0")',
    ]);
  });

  it('reads the order abuse caps (open unpaid orders per customer, units per order), with defaults and bounds', () => {
    expect(loadConfig(DEV).fulfilment).toMatchObject({ maxOpenUnpaidOrders: 20, maxUnitsPerOrder: 1000 });
    expect(loadConfig({ ...DEV, ORDER_MAX_OPEN_UNPAID: '3', ORDER_MAX_UNITS: '50' }).fulfilment).toMatchObject({
      maxOpenUnpaidOrders: 3,
      maxUnitsPerOrder: 50,
    });
    expect(problemsOf({ ORDER_MAX_OPEN_UNPAID: '0', ORDER_MAX_UNITS: 'lots' })).toEqual([
      'ORDER_MAX_OPEN_UNPAID must be an integer from 1 to 1000000 (got "0")',
      'ORDER_MAX_UNITS must be an integer from 1 to 2147483647 (got "lots")',
    ]);
  });

  it('reads the reconciliation interval and the payment pending timeout, with defaults and bounds', () => {
    expect(loadConfig(DEV).reconciliation).toEqual({
      intervalMs: 10_000,
      paymentPendingTimeoutMs: 20_000,
      paymentNoChargeTimeoutMs: 300_000,
      projectionDriftGraceMs: 60_000,
    });
    expect(
      loadConfig({
        ...DEV,
        RECONCILIATION_INTERVAL_MS: '5000',
        PAYMENT_PENDING_TIMEOUT_MS: '120000',
        PROJECTION_DRIFT_GRACE_MS: '0',
      }).reconciliation,
    ).toEqual({
      intervalMs: 5000,
      paymentPendingTimeoutMs: 120_000,
      paymentNoChargeTimeoutMs: 300_000,
      projectionDriftGraceMs: 0,
    });
    expect(
      problemsOf({
        RECONCILIATION_INTERVAL_MS: '10',
        PAYMENT_PENDING_TIMEOUT_MS: 'soon',
        PROJECTION_DRIFT_GRACE_MS: '-1',
      }),
    ).toEqual([
      `RECONCILIATION_INTERVAL_MS must be an integer from 1000 to ${Number.MAX_SAFE_INTEGER} (got "10")`,
      `PAYMENT_PENDING_TIMEOUT_MS must be an integer from 1000 to ${Number.MAX_SAFE_INTEGER} (got "soon")`,
      `PROJECTION_DRIFT_GRACE_MS must be an integer from 0 to ${Number.MAX_SAFE_INTEGER} (got "-1")`,
    ]);
  });

  it('chooses the payment gateway: the simulator by default, the HTTP provider with its URL and key', () => {
    expect(loadConfig(DEV).paymentGateway).toEqual({
      kind: 'simulated',
      url: undefined,
      apiKey: undefined,
      timeoutMs: 5000,
    });
    expect(
      loadConfig({
        ...DEV,
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
    // The stub provider's published default key is no key for a deployment.
    expect(problemsOf({ ...SAFE_PRODUCTION, GATEWAY_API_KEY: 'stub-dev-api-key' })).toEqual([
      'GATEWAY_API_KEY is a development secret published in the source: set a secret of your own',
    ]);
  });

  // A production environment with every secret it needs, so only the variables under test vary.
  const production = SAFE_PRODUCTION;

  it('serves the API docs in development and test only, unless DOCS_ENABLED says otherwise', () => {
    expect(loadConfig(DEV).docsEnabled).toBe(true);
    expect(loadConfig({ NODE_ENV: 'test' }).docsEnabled).toBe(true);
    expect(loadConfig({ NODE_ENV: 'test', DOCS_ENABLED: 'false' }).docsEnabled).toBe(false);
    expect(loadConfig(production).docsEnabled).toBe(false);
    expect(loadConfig({ ...production, DOCS_ENABLED: 'true' }).docsEnabled).toBe(true);
    expect(problemsOf({ DOCS_ENABLED: 'yes' })).toEqual(['DOCS_ENABLED must be "true" or "false" (got "yes")']);
  });

  it('lets the simulator be controlled at run time in development and test only; production refuses it', () => {
    expect(loadConfig(DEV).gatewaySimControl).toBe(true);
    expect(loadConfig({ NODE_ENV: 'test' }).gatewaySimControl).toBe(true);
    expect(loadConfig({ ...DEV, GATEWAY_SIM_CONTROL: 'false' }).gatewaySimControl).toBe(false);
    expect(loadConfig(production).gatewaySimControl).toBe(false);
    expect(problemsOf({ ...production, GATEWAY_SIM_CONTROL: 'true' })).toEqual([
      'GATEWAY_SIM_CONTROL=true lets an admin break payments at run time: development and test only',
    ]);
    expect(loadConfig({ ...DEV, GATEWAY_SIM_REJECT_RATE: '0.25' }).gatewaySim.rejectRate).toBe(0.25);
  });

  it('reads the JWT issuer, audience and maximum lifetime, and the Basic login failure budget', () => {
    const defaults = loadConfig(DEV);
    expect(defaults).toMatchObject({ authJwtMaxLifetimeS: 86_400, adminAuthFailuresPerMinute: 10 });
    expect(defaults.authJwtIssuer).toBeUndefined();
    expect(defaults.authJwtAudience).toBeUndefined();
    expect(
      loadConfig({
        ...DEV,
        AUTH_JWT_ISSUER: 'https://idp.example',
        AUTH_JWT_AUDIENCE: 'debts-hub',
        AUTH_JWT_MAX_LIFETIME_S: '3600',
        ADMIN_AUTH_FAILURES_PER_MINUTE: '5',
      }),
    ).toMatchObject({
      authJwtIssuer: 'https://idp.example',
      authJwtAudience: 'debts-hub',
      authJwtMaxLifetimeS: 3600,
      adminAuthFailuresPerMinute: 5,
    });
    expect(problemsOf({ AUTH_JWT_MAX_LIFETIME_S: '10', ADMIN_AUTH_FAILURES_PER_MINUTE: '0' })).toEqual([
      'AUTH_JWT_MAX_LIFETIME_S must be an integer from 60 to 31536000 (got "10")',
      'ADMIN_AUTH_FAILURES_PER_MINUTE must be an integer from 1 to 10000 (got "0")',
    ]);
  });
});
