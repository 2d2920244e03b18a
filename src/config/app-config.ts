/**
 * Typed configuration read from the environment (`API.md`, "Configuration").
 * Parsing collects every problem before failing, so one start shows them all.
 */
import { availableParallelism } from 'node:os';
import {
  OUTBOX_LIMITS,
  OUTBOX_QUEUE_BACKENDS,
  OUTBOX_ROLES,
  type OutboxQueueBackend,
  type OutboxRedisNode,
  type OutboxRole,
  type OutboxTuning,
} from '../outbox/host.js';

/** A process's roles are the outbox's: `api` serves HTTP and appends, the others run its relay, workers and scheduler. */
export const APP_ROLES = OUTBOX_ROLES;
export type AppRole = OutboxRole;

/** One Redis address of a cluster seed list or a sentinel list. */
export type RedisNode = OutboxRedisNode;

export const QUEUE_BACKENDS = OUTBOX_QUEUE_BACKENDS;
export type QueueBackendKind = OutboxQueueBackend;

export type NodeEnv = 'development' | 'test' | 'production';

export interface AppConfig {
  /** `production` unless `development` or `test` is asked for explicitly. */
  nodeEnv: NodeEnv;
  /**
   * Variables that fell back to a fixed development value because they were unset: only ever in
   * `development` or `test`. The process logs them once at start.
   */
  developmentFallbacks: string[];
  databaseUrl: string;
  /**
   * A direct connection to the same database when `databaseUrl` is a transaction pooler (PgBouncer):
   * the relay's `LISTEN`, migrations, database creation and scheduled-task locks need a session of
   * their own (docs/adr/0038-pgbouncer-transaction-pooling.md). Unset: `databaseUrl` is direct.
   */
  databaseDirectUrl: string | undefined;
  /**
   * The outbox's hot statements are named prepared statements; false sends every statement unnamed,
   * as a transaction pooler that does not carry prepared statements across transactions needs.
   */
  dbPreparedStatements: boolean;
  dbCreate: boolean;
  dbMigrationsRun: boolean;
  dbStatementTimeoutMs: number;
  dbIdleInTransactionTimeoutMs: number;
  /** Connections in the process's PostgreSQL pool. */
  dbPoolSize: number;
  /**
   * Where BullMQ keeps the queues: `redis`, or `postgres` (BullMQ's PostgreSQL backend, in the
   * `bullmq` schema of `DATABASE_URL`'s database). With `postgres` no Redis connection is opened.
   */
  queueBackend: QueueBackendKind;
  redisUrl: string;
  /**
   * Redis Cluster seed nodes (`REDIS_CLUSTER_NODES`): when set, every Redis connection is an ioredis
   * `Cluster` and `redisUrl` is not used (docs/adr/0040-redis-cluster-and-sentinel.md).
   */
  redisClusterNodes?: RedisNode[];
  /**
   * Redis Sentinel (`REDIS_SENTINELS`, `REDIS_SENTINEL_NAME`): when set, every Redis connection asks
   * these sentinels for the master of `name` (and again after a failover); `redisUrl` is not used.
   */
  redisSentinel?: { sentinels: RedisNode[]; name: string };
  /** Allows a Redis whose `maxmemory-policy` is not `noeviction`, with a loud warning (local use only). */
  redisAllowEviction: boolean;
  queuePrefix: string;
  port: number;
  roles: ReadonlySet<AppRole>;
  authJwtSecret: string;
  adminUsername: string | undefined;
  adminPassword: string | undefined;
  /** `iss` put in signed tokens and required of presented ones; unset: not checked. */
  authJwtIssuer: string | undefined;
  /** `aud` put in signed tokens and required of presented ones; unset: not checked. */
  authJwtAudience: string | undefined;
  /** Longest token lifetime accepted (`exp - iat`, or `exp - now` without `iat`). */
  authJwtMaxLifetimeS: number;
  /** Failed Bull Board Basic logins one client may make per minute before it gets 429. */
  adminAuthFailuresPerMinute: number;
  /** Serves Swagger UI (`/docs`) and the OpenAPI document (`/docs-json`). */
  docsEnabled: boolean;
  gatewayWebhookSecret: string;
  gatewaySim: {
    latencyMs: number;
    declineRate: number;
    timeoutAfterChargeRate: number;
    errorRate: number;
    /** Charge requests refused as invalid (the provider's 422): not retryable, dead-lettered at once. */
    rejectRate: number;
  };
  /**
   * Serves `GET`/`PATCH /admin/gateway-simulator`, which change the simulator's faults while the
   * process runs (`npm run demo` uses it). Development and test only: production refuses it.
   */
  gatewaySimControl: boolean;
  /** The payment gateway adapter and its provider (API.md, "Payment gateway protocol"). */
  paymentGateway: PaymentGatewayConfig;
  idempotencyTtlHours: number;
  httpBodyLimit: string;
  rateLimitPerMinute: number;
  /** Webhook posts per client address per minute: a budget of its own (ADR 0020). */
  rateLimitWebhookPerMinute: number;
  /** Proxies in front of the app whose `X-Forwarded-For` entry is trusted; 0 uses the socket address. */
  trustProxyHops: number;
  corsOrigins: string[];
  metricsToken: string | undefined;
  /** `/metrics` may be served without `METRICS_TOKEN` because the network already protects it. */
  metricsPublic: boolean;
  /** OTLP/HTTP endpoint traces are exported to (`OTEL_EXPORTER_OTLP_ENDPOINT`); unset: tracing is off. */
  otlpEndpoint: string | undefined;
  /** `service.name` of the exported spans (`OTEL_SERVICE_NAME`); unset: the tracer's default. */
  otelServiceName: string | undefined;
  logLevel: LogLevel;
  shutdownTimeoutMs: number;
  outbox: OutboxConfig;
  reconciliation: ReconciliationConfig;
  fulfilment: FulfilmentConfig;
  pruning: PruningConfig;
}

/** Pruning of tables that would otherwise grow forever (docs/adr/0019-forged-jobs-and-pruning.md). */
export interface PruningConfig {
  /** How often each `@Pruner()` runs. */
  intervalMs: number;
  /** Rows one DELETE removes at most; a run repeats it until a batch comes back short. */
  batchSize: number;
  /**
   * Gateway webhook receipts (event ids seen) are kept this long: a receipt pruned while the
   * provider may still send that event again would let it apply twice. At least a day, far beyond
   * the signature's 300 s tolerance, so only the provider's own retries can bring an id back.
   */
  webhookReceiptRetentionHours: number;
}

/** Which gateway adapter charges payments, and how the HTTP one reaches its provider. */
export interface PaymentGatewayConfig {
  /** `simulated`: the in-process simulator (development and tests); `http`: the provider over HTTP. */
  kind: PaymentGatewayKind;
  /** The provider's base URL (`http` only), without a trailing slash. */
  url: string | undefined;
  /** Sent as `Authorization: Bearer <key>` (`http` only). */
  apiKey: string | undefined;
  /** Each provider call is abandoned after this long; a charge that timed out is resolved by lookup. */
  timeoutMs: number;
}

export const PAYMENT_GATEWAY_KINDS = ['simulated', 'http'] as const;
export type PaymentGatewayKind = (typeof PAYMENT_GATEWAY_KINDS)[number];

/** Orders (SPEC.md "Orders"). */
export interface FulfilmentConfig {
  /** A reservation not paid for this long after it was made is cancelled and its stock released. */
  reservationTtlMs: number;
  /** Wall-clock limit of one MILP routing solve; the greedy plan is used when it is not enough. */
  routingTimeLimitMs: number;
  /** Worker threads that run MILP routing solves off the event loop (one per two CPUs by default). */
  routingSolverThreads: number;
  /** Most orders a customer may hold `placed` or `reserved` (not yet paid) at once; one more is a 409. */
  maxOpenUnpaidOrders: number;
  /** Most units (the sum of its lines' quantities) one order may ask for; more is a 422. */
  maxUnitsPerOrder: number;
}

/** Delivery tuning (README, "Configuration"): the outbox's own options, read from `OUTBOX_*` and `LANE_CONCURRENCY_*`. */
export type OutboxConfig = OutboxTuning;

/** Reconcilers (docs/adr/0011-reconciliation.md). */
export interface ReconciliationConfig {
  /** How often each reconciler runs; also the length of the window its findings are keyed by. */
  intervalMs: number;
  /** A payment still pending this long after it was requested is resolved from the gateway. */
  paymentPendingTimeoutMs: number;
  /** A balance projection may lag a ledger entry this long before a difference counts as drift. */
  projectionDriftGraceMs: number;
  /**
   * A pending payment the gateway holds no charge for is failed only this long after it was
   * requested: before that its charge may still be on its way (a delivery backlog after an outage).
   */
  paymentNoChargeTimeoutMs: number;
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Thrown when the environment does not describe a valid configuration; one message per problem. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const DEV_JWT_SECRET = 'dev-only-jwt-secret-change-me-0123456789';
const DEV_WEBHOOK_SECRET = 'dev-only-webhook-secret';
/** The stub provider's default key (scripts/gateway-stub): published, so never a real key. */
const STUB_GATEWAY_API_KEY = 'stub-dev-api-key';
const MIN_SECRET_LENGTH = 32;
const MIN_ADMIN_PASSWORD_LENGTH = 12;

/**
 * Secrets printed in this repository (development fallbacks, the stub provider's defaults, examples).
 * Anyone can read them, so production refuses every one of them.
 */
export const KNOWN_DEVELOPMENT_SECRETS: ReadonlySet<string> = new Set([
  DEV_JWT_SECRET,
  DEV_WEBHOOK_SECRET,
  STUB_GATEWAY_API_KEY,
]);

type Env = Record<string, string | undefined>;

/** Reads and validates the configuration; throws {@link ConfigError} listing every problem. */
export function loadConfig(env: Env = process.env): AppConfig {
  const r = new EnvReader(env);
  // An unset NODE_ENV is production: a forgotten variable must never open a deployment.
  const nodeEnv = r.oneOf('NODE_ENV', ['development', 'test', 'production'] as const, 'production');
  const development = nodeEnv !== 'production';

  const config: AppConfig = {
    nodeEnv,
    developmentFallbacks: r.fallbacks,
    databaseUrl: r.url('DATABASE_URL', 'postgres://postgres@127.0.0.1:5432/debts_hub', ['postgres:', 'postgresql:']),
    databaseDirectUrl:
      r.optional('DATABASE_DIRECT_URL') === undefined
        ? undefined
        : r.url('DATABASE_DIRECT_URL', '', ['postgres:', 'postgresql:']),
    dbPreparedStatements: r.bool('DB_PREPARED_STATEMENTS', r.optional('DATABASE_DIRECT_URL') === undefined),
    dbCreate: r.bool('DB_CREATE', development),
    dbMigrationsRun: r.bool('DB_MIGRATIONS_RUN', true),
    dbStatementTimeoutMs: r.int('DB_STATEMENT_TIMEOUT_MS', 30_000, 1),
    dbIdleInTransactionTimeoutMs: r.int('DB_IDLE_IN_TRANSACTION_TIMEOUT_MS', 60_000, 1),
    dbPoolSize: r.int('DB_POOL_SIZE', 20, 2, 1000),
    // Unset: Redis when a Redis is configured, else PostgreSQL, so a machine with only PostgreSQL runs.
    queueBackend: r.oneOf(
      'QUEUE_BACKEND',
      QUEUE_BACKENDS,
      (r.optional('REDIS_URL') ?? r.optional('REDIS_CLUSTER_NODES') ?? r.optional('REDIS_SENTINELS'))
        ? 'redis'
        : 'postgres',
    ),
    redisUrl: r.url('REDIS_URL', 'redis://127.0.0.1:6379', ['redis:', 'rediss:']),
    redisClusterNodes: r.optional('REDIS_CLUSTER_NODES') === undefined ? undefined : r.hostPorts('REDIS_CLUSTER_NODES'),
    redisSentinel:
      r.optional('REDIS_SENTINELS') === undefined
        ? undefined
        : { sentinels: r.hostPorts('REDIS_SENTINELS'), name: r.optional('REDIS_SENTINEL_NAME') ?? '' },
    redisAllowEviction: r.bool('REDIS_ALLOW_EVICTION', false),
    queuePrefix: r.pattern(
      'QUEUE_PREFIX',
      'debts-hub',
      /^[A-Za-z0-9_-]{1,64}$/,
      'letters, digits, "-" or "_" (no ":")',
    ),
    port: r.int('PORT', 3000, 0, 65_535),
    roles: r.roles('APP_ROLES'),
    authJwtSecret: r.secret('AUTH_JWT_SECRET', development ? DEV_JWT_SECRET : undefined, MIN_SECRET_LENGTH),
    adminUsername: r.optional('ADMIN_USERNAME'),
    adminPassword: r.optional('ADMIN_PASSWORD'),
    authJwtIssuer: r.optional('AUTH_JWT_ISSUER'),
    authJwtAudience: r.optional('AUTH_JWT_AUDIENCE'),
    authJwtMaxLifetimeS: r.int('AUTH_JWT_MAX_LIFETIME_S', 86_400, 60, 31_536_000),
    adminAuthFailuresPerMinute: r.int('ADMIN_AUTH_FAILURES_PER_MINUTE', 10, 1, 10_000),
    docsEnabled: r.bool('DOCS_ENABLED', nodeEnv === 'development' || nodeEnv === 'test'),
    gatewayWebhookSecret: r.secret('GATEWAY_WEBHOOK_SECRET', development ? DEV_WEBHOOK_SECRET : undefined, 16),
    gatewaySim: {
      latencyMs: r.int('GATEWAY_SIM_LATENCY_MS', 0, 0),
      declineRate: r.rate('GATEWAY_SIM_DECLINE_RATE'),
      timeoutAfterChargeRate: r.rate('GATEWAY_SIM_TIMEOUT_AFTER_CHARGE_RATE'),
      errorRate: r.rate('GATEWAY_SIM_ERROR_RATE'),
      rejectRate: r.rate('GATEWAY_SIM_REJECT_RATE'),
    },
    gatewaySimControl: r.bool('GATEWAY_SIM_CONTROL', development),
    paymentGateway: {
      kind: r.oneOf('PAYMENT_GATEWAY', PAYMENT_GATEWAY_KINDS, 'simulated'),
      url: r.optional('GATEWAY_URL')?.replace(/\/+$/, ''),
      apiKey: r.optional('GATEWAY_API_KEY'),
      timeoutMs: r.int('GATEWAY_TIMEOUT_MS', 5000, 1, 600_000),
    },
    idempotencyTtlHours: r.int('IDEMPOTENCY_TTL_HOURS', 24, 1),
    httpBodyLimit: r.pattern('HTTP_BODY_LIMIT', '100kb', /^\d+(b|kb|mb)$/i, 'a size such as 100kb or 1mb'),
    rateLimitPerMinute: r.int('RATE_LIMIT_PER_MINUTE', 600, 1),
    rateLimitWebhookPerMinute: r.int('RATE_LIMIT_WEBHOOK_PER_MINUTE', 6000, 1),
    trustProxyHops: r.int('TRUST_PROXY_HOPS', 0, 0, 10),
    corsOrigins: r.list('CORS_ORIGINS'),
    metricsToken: r.optional('METRICS_TOKEN'),
    metricsPublic: r.bool('METRICS_PUBLIC', false),
    otlpEndpoint:
      r.optional('OTEL_EXPORTER_OTLP_ENDPOINT') === undefined
        ? undefined
        : r.url('OTEL_EXPORTER_OTLP_ENDPOINT', '', ['http:', 'https:']),
    otelServiceName: r.optional('OTEL_SERVICE_NAME'),
    logLevel: r.oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
    shutdownTimeoutMs: r.int('SHUTDOWN_TIMEOUT_MS', 25_000, 1),
    // The outbox's own defaults and ranges (src/outbox/outbox-options.ts), under the environment's names.
    outbox: {
      relayBatchSize: r.int('OUTBOX_RELAY_BATCH_SIZE', ...OUTBOX_LIMITS.relayBatchSize),
      relayBulkBatchSize: r.int('OUTBOX_RELAY_BULK_BATCH_SIZE', ...OUTBOX_LIMITS.relayBulkBatchSize),
      relayPollIntervalMs: r.int('OUTBOX_RELAY_POLL_INTERVAL_MS', ...OUTBOX_LIMITS.relayPollIntervalMs),
      relayBulkBacklogMax: r.int('OUTBOX_RELAY_BULK_BACKLOG_MAX', ...OUTBOX_LIMITS.relayBulkBacklogMax),
      criticalHoldMs: r.int('OUTBOX_CRITICAL_HOLD_MS', ...OUTBOX_LIMITS.criticalHoldMs),
      bulkYieldMaxMs: r.int('OUTBOX_BULK_YIELD_MAX_MS', ...OUTBOX_LIMITS.bulkYieldMaxMs),
      sweepAfterMs: r.int('OUTBOX_SWEEP_AFTER_MS', ...OUTBOX_LIMITS.sweepAfterMs),
      sweepIntervalMs: r.int('OUTBOX_SWEEP_INTERVAL_MS', ...OUTBOX_LIMITS.sweepIntervalMs),
      jobLockMs: r.int('OUTBOX_JOB_LOCK_MS', ...OUTBOX_LIMITS.jobLockMs),
      stalledIntervalMs: r.int('OUTBOX_STALLED_INTERVAL_MS', ...OUTBOX_LIMITS.stalledIntervalMs),
      dedupeWindowHours: r.int('OUTBOX_DEDUPE_WINDOW_HOURS', ...OUTBOX_LIMITS.dedupeWindowHours),
      retentionIntervalMs: r.int('OUTBOX_RETENTION_INTERVAL_MS', ...OUTBOX_LIMITS.retentionIntervalMs),
      sequenceGapTimeoutMs: r.int('OUTBOX_SEQUENCE_GAP_TIMEOUT_MS', ...OUTBOX_LIMITS.sequenceGapTimeoutMs),
      sequenceRecheckMs: r.int('OUTBOX_SEQUENCE_RECHECK_MS', ...OUTBOX_LIMITS.sequenceRecheckMs),
      laneConcurrency: {
        critical: r.int('LANE_CONCURRENCY_CRITICAL', ...OUTBOX_LIMITS.laneConcurrency.critical),
        default: r.int('LANE_CONCURRENCY_DEFAULT', ...OUTBOX_LIMITS.laneConcurrency.default),
        bulk: r.int('LANE_CONCURRENCY_BULK', ...OUTBOX_LIMITS.laneConcurrency.bulk),
      },
    },
    reconciliation: {
      intervalMs: r.int('RECONCILIATION_INTERVAL_MS', 10_000, 1000),
      paymentPendingTimeoutMs: r.int('PAYMENT_PENDING_TIMEOUT_MS', 20_000, 1000),
      paymentNoChargeTimeoutMs: r.int('PAYMENT_NO_CHARGE_TIMEOUT_MS', 300_000, 1000),
      projectionDriftGraceMs: r.int('PROJECTION_DRIFT_GRACE_MS', 60_000, 0),
    },
    fulfilment: {
      reservationTtlMs: r.int('ORDER_RESERVATION_TTL_MS', 900_000, 100),
      routingTimeLimitMs: r.int('ROUTING_TIME_LIMIT_MS', 200, 10, 10_000),
      routingSolverThreads: r.int('ROUTING_SOLVER_THREADS', Math.max(1, Math.floor(availableParallelism() / 2)), 1, 64),
      maxOpenUnpaidOrders: r.int('ORDER_MAX_OPEN_UNPAID', 20, 1, 1_000_000),
      maxUnitsPerOrder: r.int('ORDER_MAX_UNITS', 1000, 1, 2_147_483_647),
    },
    pruning: {
      intervalMs: r.int('PRUNE_INTERVAL_MS', ...OUTBOX_LIMITS.pruning.intervalMs),
      batchSize: r.int('PRUNE_BATCH_SIZE', ...OUTBOX_LIMITS.pruning.batchSize),
      webhookReceiptRetentionHours: r.int('WEBHOOK_RECEIPT_RETENTION_HOURS', 720, 24),
    },
  };
  if ((config.adminUsername === undefined) !== (config.adminPassword === undefined)) {
    r.problem('ADMIN_USERNAME and ADMIN_PASSWORD must be set together');
  }
  if (!config.dbPreparedStatements && config.databaseDirectUrl === undefined) {
    r.problem(
      'DB_PREPARED_STATEMENTS=false is for a transaction pooler at DATABASE_URL: set DATABASE_DIRECT_URL too (LISTEN, migrations and task locks need a direct session)',
    );
  }
  if (config.databaseDirectUrl !== undefined && config.databaseDirectUrl === config.databaseUrl) {
    r.problem('DATABASE_DIRECT_URL is the same as DATABASE_URL: set it only when DATABASE_URL is a pooler');
  }
  checkRedisTopology(config, r);
  if (config.paymentGateway.kind === 'http') {
    if (config.paymentGateway.url === undefined) r.problem('GATEWAY_URL is required when PAYMENT_GATEWAY=http');
    else r.url('GATEWAY_URL', '', ['http:', 'https:']);
    if (config.paymentGateway.apiKey === undefined) r.problem('GATEWAY_API_KEY is required when PAYMENT_GATEWAY=http');
  }
  if (!development) refuseUnsafeProduction(config, r);
  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return config;
}

/** At most one Redis topology, complete, and only where Redis is used (ADR 0040). */
function checkRedisTopology(config: AppConfig, r: EnvReader): void {
  const cluster = config.redisClusterNodes !== undefined;
  const sentinel = config.redisSentinel !== undefined;
  if (cluster && sentinel) {
    r.problem('REDIS_CLUSTER_NODES and REDIS_SENTINELS are both set: choose Redis Cluster or Redis Sentinel, not both');
  }
  if (sentinel && config.redisSentinel!.name === '') {
    r.problem('REDIS_SENTINELS is set without REDIS_SENTINEL_NAME: name the master the sentinels monitor');
  }
  if (!sentinel && r.optional('REDIS_SENTINEL_NAME') !== undefined) {
    r.problem('REDIS_SENTINEL_NAME is set without REDIS_SENTINELS: list the sentinels (host:port,...)');
  }
  if ((cluster || sentinel) && config.queueBackend !== 'redis') {
    const variable = cluster ? 'REDIS_CLUSTER_NODES' : 'REDIS_SENTINELS';
    r.problem(`${variable} is set with QUEUE_BACKEND=${config.queueBackend}: it applies only to QUEUE_BACKEND=redis`);
  }
}

/**
 * Production settings that would run, but unsafely: each is one problem line, so a deployment
 * cannot start by accident on a simulated gateway, a secret printed in this repository, a weak
 * admin password or metrics open to anyone.
 */
function refuseUnsafeProduction(config: AppConfig, r: EnvReader): void {
  if (config.paymentGateway.kind === 'simulated') {
    r.problem(
      'PAYMENT_GATEWAY=simulated takes no money: set PAYMENT_GATEWAY=http with GATEWAY_URL and GATEWAY_API_KEY',
    );
  }
  if (config.gatewaySimControl) {
    r.problem('GATEWAY_SIM_CONTROL=true lets an admin break payments at run time: development and test only');
  }
  const secrets: Array<[string, string | undefined]> = [
    ['AUTH_JWT_SECRET', config.authJwtSecret],
    ['GATEWAY_WEBHOOK_SECRET', config.gatewayWebhookSecret],
    ['GATEWAY_API_KEY', config.paymentGateway.apiKey],
    ['ADMIN_PASSWORD', config.adminPassword],
  ];
  for (const [name, value] of secrets) {
    if (value !== undefined && KNOWN_DEVELOPMENT_SECRETS.has(value)) {
      r.problem(`${name} is a development secret published in the source: set a secret of your own`);
    }
  }
  if (config.adminPassword === undefined) {
    r.problem('ADMIN_USERNAME and ADMIN_PASSWORD are required in production (Bull Board)');
  } else if (config.adminPassword.length < MIN_ADMIN_PASSWORD_LENGTH) {
    r.problem(`ADMIN_PASSWORD must be at least ${MIN_ADMIN_PASSWORD_LENGTH} characters long`);
  }
  if (config.metricsToken === undefined && !config.metricsPublic) {
    r.problem('METRICS_TOKEN is required in production, or METRICS_PUBLIC=true when the network protects /metrics');
  }
}

/** Reads one variable at a time, recording a problem instead of throwing so all are reported. */
class EnvReader {
  readonly problems: string[] = [];
  /** Variables that took a development fallback. */
  readonly fallbacks: string[] = [];

  constructor(private readonly env: Env) {}

  problem(message: string): void {
    this.problems.push(message);
  }

  optional(name: string): string | undefined {
    const value = this.env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  }

  bool(name: string, fallback: boolean): boolean {
    const value = this.optional(name);
    if (value === undefined) return fallback;
    if (value === 'true') return true;
    if (value === 'false') return false;
    this.problem(`${name} must be "true" or "false" (got "${value}")`);
    return fallback;
  }

  int(name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
    const value = this.optional(name);
    if (value === undefined) return fallback;
    const parsed = Number(value);
    if (!/^-?\d+$/.test(value) || parsed < min || parsed > max) {
      this.problem(`${name} must be an integer from ${min} to ${max} (got "${value}")`);
      return fallback;
    }
    return parsed;
  }

  rate(name: string): number {
    const value = this.optional(name);
    if (value === undefined) return 0;
    const parsed = Number(value);
    if (!Number.isFinite(parsed) || parsed < 0 || parsed > 1) {
      this.problem(`${name} must be a number from 0 to 1 (got "${value}")`);
      return 0;
    }
    return parsed;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const value = this.optional(name);
    if (value === undefined) return fallback;
    if ((allowed as readonly string[]).includes(value)) return value as T;
    this.problem(`${name} must be one of ${allowed.join(', ')} (got "${value}")`);
    return fallback;
  }

  pattern(name: string, fallback: string, re: RegExp, expected: string): string {
    const value = this.optional(name) ?? fallback;
    if (re.test(value)) return value;
    this.problem(`${name} must be ${expected} (got "${value}")`);
    return fallback;
  }

  url(name: string, fallback: string, protocols: string[]): string {
    const value = this.optional(name) ?? fallback;
    let protocol: string;
    try {
      protocol = new URL(value).protocol;
    } catch {
      // The value may hold a password: never echo it.
      this.problem(`${name} is not a valid URL`);
      return fallback;
    }
    if (!protocols.includes(protocol)) {
      this.problem(`${name} must use ${protocols.map((p) => `${p}//`).join(' or ')} (got ${protocol}//)`);
    }
    return value;
  }

  secret(name: string, devFallback: string | undefined, minLength: number): string {
    const value = this.optional(name);
    if (value === undefined) {
      if (devFallback !== undefined) {
        this.fallbacks.push(name);
        return devFallback;
      }
      this.problem(`${name} is required in production`);
      return '';
    }
    if (value.length < minLength) this.problem(`${name} must be at least ${minLength} characters long`);
    return value;
  }

  list(name: string): string[] {
    const value = this.optional(name);
    if (value === undefined) return [];
    return value
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== '');
  }

  /** A comma-separated `host:port` list with at least one entry. */
  hostPorts(name: string): RedisNode[] {
    const nodes: RedisNode[] = [];
    for (const item of this.list(name)) {
      const match = /^([^\s:]+|\[[0-9A-Fa-f:]+\]):(\d{1,5})$/.exec(item);
      const port = Number(match?.[2]);
      if (!match || port < 1 || port > 65_535) {
        this.problem(`${name} must be a comma-separated list of host:port (got "${item}")`);
        return [];
      }
      nodes.push({ host: match[1].replace(/^\[|\]$/g, ''), port });
    }
    if (nodes.length === 0) this.problem(`${name} must list at least one host:port`);
    return nodes;
  }

  roles(name: string): ReadonlySet<AppRole> {
    const values = this.list(name);
    if (values.length === 0) return new Set(APP_ROLES);
    const unknown = values.filter((v) => !(APP_ROLES as readonly string[]).includes(v));
    if (unknown.length > 0) {
      this.problem(`${name} has unknown roles ${unknown.join(', ')}; allowed: ${APP_ROLES.join(', ')}`);
      return new Set(APP_ROLES);
    }
    return new Set(values as AppRole[]);
  }
}
