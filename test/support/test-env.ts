import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { dropTestDatabase, ensureDatabase } from '../../src/database/index.js';

const SERVER_URL = process.env.TEST_DATABASE_SERVER_URL ?? 'postgres://postgres@127.0.0.1:5432';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A database and a Redis key prefix of one test run's own, removed by {@link dispose}. */
export interface TestIsolation {
  databaseUrl: string;
  queuePrefix: string;
  /** Environment variables that point the app at this isolation. */
  env: Record<string, string>;
  dispose(): Promise<void>;
}

/** Creates a fresh database (its name contains "test") and a unique BullMQ/Redis prefix. */
export async function isolate(): Promise<TestIsolation> {
  const id = `${process.pid}_${randomBytes(4).toString('hex')}`;
  const databaseUrl = `${SERVER_URL}/debts_hub_test_${id}`;
  const queuePrefix = `test-${id.replace('_', '-')}`;
  await ensureDatabase(databaseUrl);
  return {
    databaseUrl,
    queuePrefix,
    env: {
      NODE_ENV: 'test',
      DATABASE_URL: databaseUrl,
      DB_CREATE: 'false',
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: queuePrefix,
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    },
    async dispose() {
      await deleteRedisKeys(queuePrefix);
      await dropTestDatabase(databaseUrl);
    },
  };
}

/** Deletes every key under `prefix` (BullMQ's `{prefix}` hash-tagged keys too), by SCAN, never FLUSHALL. */
export async function deleteRedisKeys(prefix: string, redisUrl = TEST_REDIS_URL): Promise<void> {
  const redis = new Redis(redisUrl);
  try {
    for (const pattern of [`${prefix}:*`, `{${prefix}}:*`]) {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
        if (keys.length > 0) await redis.del(...keys);
        cursor = next;
      } while (cursor !== '0');
    }
  } finally {
    await redis.quit();
  }
}
