import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { Cluster, Redis } from 'ioredis';
import pg from 'pg';
import { loadConfig } from '../../src/config/index.js';
import { databaseName, dropTestDatabase, ensureDatabase } from '../../src/database/index.js';
import { backendForCaller, type QueueBackendName } from './suite-backends.js';

/** The PostgreSQL server the tests use: the machine's, or the embedded one global-setup started. */
export const TEST_DATABASE_SERVER_URL = process.env.TEST_DATABASE_SERVER_URL ?? 'postgres://postgres@127.0.0.1:5432';
/**
 * Set by `npm run test:pgbouncer` (scripts/pgbouncer/test.sh): a PgBouncer in transaction mode in
 * front of the same server. The app then reaches its database through it, with DATABASE_DIRECT_URL
 * for its sessions; the tests' own clients and DDL keep going direct.
 */
const PGBOUNCER_URL = process.env.TEST_PGBOUNCER_URL;
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
/**
 * Set by `npm run test:cluster` (scripts/redis-cluster/test.sh): the seed nodes (host:port,...) of a
 * private Redis Cluster, which the app then uses for every Redis connection (REDIS_CLUSTER_NODES).
 */
export const TEST_REDIS_CLUSTER_NODES = process.env.TEST_REDIS_CLUSTER_NODES;

/** A database and a Redis key prefix of one test run's own, removed by {@link dispose}. */
export interface TestIsolation {
  databaseUrl: string;
  queuePrefix: string;
  /**
   * The queue backend the app uses: `TEST_QUEUE_BACKEND` (default `redis`), or `redis` for a suite
   * that called `redisSuite()` (test/support/suite-backends.ts). On `postgres` BullMQ's schema lives
   * in the test database and goes with it.
   */
  queueBackend: QueueBackendName;
  /** Environment variables that point the app at this isolation. */
  env: Record<string, string>;
  dispose(): Promise<void>;
}

/** Creates a fresh database (its name contains "test") and a unique BullMQ/Redis prefix; records the suite's backend. */
export async function isolate(): Promise<TestIsolation> {
  const queueBackend = backendForCaller();
  const id = `${process.pid}_${randomBytes(4).toString('hex')}`;
  const databaseUrl = `${TEST_DATABASE_SERVER_URL}/debts_hub_test_${id}`;
  const queuePrefix = `test-${id.replace('_', '-')}`;
  await ensureDatabase(databaseUrl);
  if (PGBOUNCER_URL !== undefined) await setPoolerDefaults(databaseUrl);
  return {
    databaseUrl,
    queuePrefix,
    queueBackend,
    env: {
      NODE_ENV: 'test',
      DATABASE_URL: PGBOUNCER_URL === undefined ? databaseUrl : `${PGBOUNCER_URL}/debts_hub_test_${id}`,
      ...(PGBOUNCER_URL === undefined ? {} : { DATABASE_DIRECT_URL: databaseUrl }),
      DB_CREATE: 'false',
      REDIS_URL: TEST_REDIS_URL,
      ...(TEST_REDIS_CLUSTER_NODES === undefined ? {} : { REDIS_CLUSTER_NODES: TEST_REDIS_CLUSTER_NODES }),
      QUEUE_PREFIX: queuePrefix,
      QUEUE_BACKEND: queueBackend,
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    },
    async dispose() {
      // On postgres the queues are in the database dropped below, and there may be no Redis at all.
      if (queueBackend === 'redis') {
        await (TEST_REDIS_CLUSTER_NODES === undefined
          ? deleteRedisKeys(queuePrefix)
          : deleteClusterKeys(queuePrefix, TEST_REDIS_CLUSTER_NODES));
      }
      await dropTestDatabase(databaseUrl);
    },
  };
}

/**
 * Through a transaction pooler the app sends no session parameter, so the database itself holds the
 * defaults the app would otherwise ask for (the configured ones, which the app checks at start).
 */
async function setPoolerDefaults(databaseUrl: string): Promise<void> {
  const { dbStatementTimeoutMs, dbIdleInTransactionTimeoutMs } = loadConfig({ NODE_ENV: 'test' });
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const name = databaseName(databaseUrl);
    await client.query(`ALTER DATABASE "${name}" SET statement_timeout = ${dbStatementTimeoutMs}`);
    await client.query(
      `ALTER DATABASE "${name}" SET idle_in_transaction_session_timeout = ${dbIdleInTransactionTimeoutMs}`,
    );
  } finally {
    await client.end();
  }
}

/**
 * The key patterns of an app prefix: `prefix:*` (rate limits), BullMQ's `{prefix}:*` and, on a
 * Redis Cluster, the per-queue and rate-limit hash tags `{prefix:<name>}:*` (ADR 0040).
 */
const prefixPatterns = (prefix: string) => [`${prefix}:*`, `{${prefix}}:*`, `{${prefix}:*`];

/** Deletes every key under `prefix` (BullMQ's `{prefix}` hash-tagged keys too), by SCAN, never FLUSHALL. */
export async function deleteRedisKeys(prefix: string, redisUrl = TEST_REDIS_URL): Promise<void> {
  const redis = new Redis(redisUrl);
  try {
    await deleteMatching(redis, prefixPatterns(prefix));
  } finally {
    await redis.quit();
  }
}

/** {@link deleteRedisKeys} on a Redis Cluster (`host:port,...`): SCANs every master, deletes key by key. */
export async function deleteClusterKeys(prefix: string, nodes: string): Promise<void> {
  const cluster = new Cluster(
    nodes.split(',').map((node) => {
      const [host, port] = node.split(':');
      return { host, port: Number(port) };
    }),
  );
  try {
    await once(cluster, 'ready');
    await Promise.all(cluster.nodes('master').map((master) => deleteMatching(master, prefixPatterns(prefix))));
  } finally {
    await cluster.quit();
  }
}

/** SCANs one node for each pattern and deletes what matches, one key per command (keys of many slots). */
async function deleteMatching(redis: Redis, patterns: string[]): Promise<void> {
  for (const pattern of patterns) {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      if (keys.length > 0) await Promise.all(keys.map((key) => redis.unlink(key)));
      cursor = next;
    } while (cursor !== '0');
  }
}
