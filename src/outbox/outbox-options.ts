/**
 * The outbox's own options (`OutboxModule.forRoot({ options })`): typed, with defaults and
 * validation of their own, so the outbox reads no app-wide configuration. The host maps its
 * configuration onto them (in this app, `src/outbox-wiring.ts` from the environment).
 */

export const OUTBOX_ROLES = ['api', 'relay', 'worker', 'scheduler'] as const;
/** Which parts run in a process: the relay loop, the lane workers, the scheduler; `api` only appends and serves admin. */
export type OutboxRole = (typeof OUTBOX_ROLES)[number];

export const OUTBOX_QUEUE_BACKENDS = ['redis', 'postgres'] as const;
export type OutboxQueueBackend = (typeof OUTBOX_QUEUE_BACKENDS)[number];

export interface OutboxRedisNode {
  host: string;
  port: number;
}

/** Delivery tuning (README, "Configuration", `OUTBOX_*` and `LANE_CONCURRENCY_*`). */
export interface OutboxTuning {
  /** Outbox rows of critical and default subscribers claimed per relay batch. */
  relayBatchSize: number;
  /** Bulk-only rows claimed per relay batch: small, so urgent rows never wait behind a big bulk batch. */
  relayBulkBatchSize: number;
  /** Polling fallback for when a LISTEN/NOTIFY wake-up is missed. */
  relayPollIntervalMs: number;
  /** Bulk rows are left in the outbox while the bulk queue holds this many waiting jobs; 0 disables. */
  relayBulkBacklogMax: number;
  /** How long a critical event committed here counts as in flight at most. */
  criticalHoldMs: number;
  /** Longest a bulk batch or handler waits for in-flight critical work; 0 disables. */
  bulkYieldMaxMs: number;
  /** A delivery not handled this long after its last progress is re-driven by the sweeper. */
  sweepAfterMs: number;
  sweepIntervalMs: number;
  /** A delivery job's lock (BullMQ `lockDuration`, renewed at half of it while the handler runs). */
  jobLockMs: number;
  /** How often each worker looks for jobs whose lock expired (BullMQ `stalledInterval`). */
  stalledIntervalMs: number;
  /** Inbox rows (and handled history) are kept at least this long. */
  dedupeWindowHours: number;
  retentionIntervalMs: number;
  /** An ordered delivery whose predecessor is missing this long becomes a `sequence-gap` dead letter. */
  sequenceGapTimeoutMs: number;
  /** How long an out-of-order delivery waits before checking for its predecessor again. */
  sequenceRecheckMs: number;
  laneConcurrency: { critical: number; default: number; bulk: number };
}

export interface OutboxOptions extends OutboxTuning {
  roles: ReadonlySet<OutboxRole>;
  /** Where BullMQ keeps the queues: Redis, or BullMQ's PostgreSQL backend in `databaseUrl`'s database. */
  queueBackend: OutboxQueueBackend;
  /** Prefix of every queue key: letters, digits, `-` or `_`. */
  queuePrefix: string;
  /** The database the outbox tables live in (the host's own). */
  databaseUrl: string;
  /** A direct session to the same database when `databaseUrl` is a transaction pooler (ADR 0038). */
  databaseDirectUrl: string | undefined;
  dbPoolSize: number;
  /** False sends every statement unnamed, as a transaction pooler needs. */
  dbPreparedStatements: boolean;
  redisUrl: string;
  redisClusterNodes?: OutboxRedisNode[];
  redisSentinel?: { sentinels: OutboxRedisNode[]; name: string };
  /** Accepts a Redis whose `maxmemory-policy` is not `noeviction`, with a loud warning. */
  redisAllowEviction: boolean;
  /** How long a graceful shutdown waits for in-flight work. */
  shutdownTimeoutMs: number;
  /** The scheduler's `@Pruner()` runs. */
  pruning: { intervalMs: number; batchSize: number };
}

/** What a host gives: the database is required, everything else has a default. */
export type OutboxOptionsInput = Partial<Omit<OutboxOptions, 'laneConcurrency' | 'pruning' | 'roles'>> & {
  databaseUrl: string;
  roles?: Iterable<OutboxRole>;
  laneConcurrency?: Partial<OutboxTuning['laneConcurrency']>;
  pruning?: Partial<OutboxOptions['pruning']>;
};

/** Options that cannot work; one line per problem, all of them at once. */
export class OutboxOptionsError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid outbox options:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'OutboxOptionsError';
  }
}

/** Integer options: default, least, most. A host reading them from elsewhere (the environment) checks the same ranges. */
const INTEGERS = {
  relayBatchSize: [500, 1, 10_000],
  relayBulkBatchSize: [20, 1, 10_000],
  relayPollIntervalMs: [1000, 10, Number.MAX_SAFE_INTEGER],
  relayBulkBacklogMax: [500, 0, 1_000_000],
  criticalHoldMs: [1000, 1, 60_000],
  bulkYieldMaxMs: [100, 0, 10_000],
  // Sized so a deployment converges within 30 s of a fault (docs/adr/0027).
  sweepAfterMs: [15_000, 100, Number.MAX_SAFE_INTEGER],
  sweepIntervalMs: [5_000, 100, Number.MAX_SAFE_INTEGER],
  jobLockMs: [15_000, 1000, 600_000],
  stalledIntervalMs: [5_000, 1000, 600_000],
  dedupeWindowHours: [168, 1, Number.MAX_SAFE_INTEGER],
  retentionIntervalMs: [3_600_000, 1000, Number.MAX_SAFE_INTEGER],
  sequenceGapTimeoutMs: [300_000, 100, Number.MAX_SAFE_INTEGER],
  sequenceRecheckMs: [250, 10, Number.MAX_SAFE_INTEGER],
  dbPoolSize: [20, 2, 1000],
  shutdownTimeoutMs: [25_000, 1, Number.MAX_SAFE_INTEGER],
} as const satisfies Record<string, readonly [number, number, number]>;

const LANES = {
  critical: [16, 1, 1000],
  default: [16, 1, 1000],
  bulk: [2, 1, 1000],
} as const satisfies Record<keyof OutboxTuning['laneConcurrency'], readonly [number, number, number]>;
const PRUNING = { intervalMs: [3_600_000, 1000, Number.MAX_SAFE_INTEGER], batchSize: [1000, 1, 100_000] } as const;

/** Every integer option's default, least and most value. */
export const OUTBOX_LIMITS = { ...INTEGERS, laneConcurrency: LANES, pruning: PRUNING } as const;

/** Fills the defaults and checks every option; throws {@link OutboxOptionsError} listing each problem. */
export function resolveOutboxOptions(input: OutboxOptionsInput): OutboxOptions {
  const problems: string[] = [];
  const integer = (name: string, value: number | undefined, [fallback, least, most]: readonly number[]): number => {
    if (value === undefined) return fallback;
    if (!Number.isInteger(value) || value < least || value > most) {
      problems.push(`${name} must be an integer from ${least} to ${most}, got ${String(value)}`);
    }
    return value;
  };
  const integers = Object.fromEntries(
    Object.entries(INTEGERS).map(([name, range]) => [name, integer(name, input[name as keyof typeof INTEGERS], range)]),
  ) as Record<keyof typeof INTEGERS, number>;
  const laneConcurrency = {
    critical: integer('laneConcurrency.critical', input.laneConcurrency?.critical, LANES.critical),
    default: integer('laneConcurrency.default', input.laneConcurrency?.default, LANES.default),
    bulk: integer('laneConcurrency.bulk', input.laneConcurrency?.bulk, LANES.bulk),
  };
  const pruning = {
    intervalMs: integer('pruning.intervalMs', input.pruning?.intervalMs, PRUNING.intervalMs),
    batchSize: integer('pruning.batchSize', input.pruning?.batchSize, PRUNING.batchSize),
  };

  const roles = new Set(input.roles ?? OUTBOX_ROLES);
  for (const role of roles) {
    if (!OUTBOX_ROLES.includes(role))
      problems.push(`roles: "${String(role)}" is not one of ${OUTBOX_ROLES.join(', ')}`);
  }
  const queueBackend = input.queueBackend ?? 'redis';
  if (!OUTBOX_QUEUE_BACKENDS.includes(queueBackend)) {
    problems.push(`queueBackend must be one of ${OUTBOX_QUEUE_BACKENDS.join(', ')}, got "${String(queueBackend)}"`);
  }
  const queuePrefix = input.queuePrefix ?? 'outbox';
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(queuePrefix)) {
    problems.push(`queuePrefix must be 1 to 64 letters, digits, "-" or "_" (no ":"), got "${queuePrefix}"`);
  }
  if (!/^postgres(ql)?:\/\//.test(input.databaseUrl ?? '')) problems.push('databaseUrl must be a postgres:// URL');
  const databaseDirectUrl = input.databaseDirectUrl;
  if (databaseDirectUrl !== undefined && databaseDirectUrl === input.databaseUrl) {
    problems.push('databaseDirectUrl is the same as databaseUrl: set it only when databaseUrl is a pooler');
  }
  const dbPreparedStatements = input.dbPreparedStatements ?? databaseDirectUrl === undefined;
  if (!dbPreparedStatements && databaseDirectUrl === undefined) {
    problems.push('dbPreparedStatements=false is for a transaction pooler: set databaseDirectUrl too');
  }
  if (input.redisClusterNodes !== undefined && input.redisSentinel !== undefined) {
    problems.push('redisClusterNodes and redisSentinel are both set: choose one');
  }
  if (input.redisSentinel !== undefined && input.redisSentinel.name === '') {
    problems.push('redisSentinel.name is empty: name the master the sentinels monitor');
  }
  if (problems.length > 0) throw new OutboxOptionsError(problems);

  return {
    ...integers,
    laneConcurrency,
    pruning,
    roles,
    queueBackend,
    queuePrefix,
    databaseUrl: input.databaseUrl,
    databaseDirectUrl,
    dbPreparedStatements,
    redisUrl: input.redisUrl ?? 'redis://127.0.0.1:6379',
    redisClusterNodes: input.redisClusterNodes,
    redisSentinel: input.redisSentinel,
    redisAllowEviction: input.redisAllowEviction ?? false,
  };
}

export const OUTBOX_OPTIONS = Symbol('outbox:options');
