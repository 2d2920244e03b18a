/**
 * Jest globalSetup (jest.config.js): makes `npm test` run on a machine with nothing but Node
 * (ADR 0036). Runs once in Jest's main process before any worker starts, so what it puts in
 * process.env reaches every test file.
 *
 * - PostgreSQL: when nothing usable answers on TEST_DATABASE_SERVER_URL (default
 *   postgres://postgres@127.0.0.1:5432), starts an embedded PostgreSQL on a free port with a
 *   throw-away data directory and exports its URL as TEST_DATABASE_SERVER_URL.
 * - Redis: when nothing answers PING on TEST_REDIS_URL (default redis://127.0.0.1:6379) and
 *   `redis-server` is on PATH, starts a private one (noeviction, nothing on disk, free port) for the
 *   Redis-specific suites and exports TEST_REDIS_URL; with no Redis at all, TEST_QUEUE_BACKEND
 *   defaults to `postgres` and the Redis-specific suites are reported as not run.
 *
 * global-teardown.ts stops what was started here; suite-backends-report.ts prints the outcome.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import {
  type LocalPostgres,
  probePostgres,
  startLocalPostgres,
  stopLocalPostgres,
} from '../../scripts/support/local-postgres.js';
import { type PrivateRedis, startPrivateRedis } from './private-redis.js';

const DEFAULT_DATABASE_SERVER_URL = 'postgres://postgres@127.0.0.1:5432';
const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** What globalSetup started, for globalTeardown (same process, so a global carries it). */
export interface StartedForTests {
  postgres?: { server: LocalPostgres; dir: string };
  redis?: PrivateRedis;
}
const STATE = Symbol.for('debts-hub.test-services');
export function startedForTests(): StartedForTests {
  const holder = globalThis as { [STATE]?: StartedForTests };
  return (holder[STATE] ??= {});
}

/** The file test/support/suite-backends.ts appends to and the report reads. */
export function suiteReportFile(): string {
  return resolve(process.env.TEST_REPORT_FILE ?? '.test-build/suite-backends.jsonl');
}

function say(line: string): void {
  process.stderr.write(`[test setup] ${line}\n`);
}

async function redisAnswers(url: string): Promise<string | undefined> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 1_000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  let lastError: string | undefined;
  client.on('error', (error: Error & { code?: string }) => (lastError = error.code ?? error.message));
  try {
    await client.connect();
    const pong = await client.ping();
    return pong === 'PONG' ? undefined : `answered ${pong}`;
  } catch (error) {
    return lastError ?? (error instanceof Error ? error.message : String(error));
  } finally {
    client.disconnect();
  }
}

function onPath(binary: string): boolean {
  return spawnSync(binary, ['--version'], { stdio: 'ignore' }).error === undefined;
}

const TEST_PG_PREFIX = 'debts-hub-test-pg-';

/**
 * Stops and removes the test servers of runs that were killed before their teardown (their Jest
 * process, named in owner.pid, is gone), so they do not pile up.
 */
async function sweepAbandoned(): Promise<void> {
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith(TEST_PG_PREFIX)) continue;
    const dir = join(tmpdir(), name);
    const ownerFile = join(dir, 'owner.pid');
    if (!existsSync(ownerFile)) continue;
    const owner = Number(readFileSync(ownerFile, 'utf8'));
    try {
      process.kill(owner, 0);
      continue; // its run is still going
    } catch {
      // abandoned
    }
    await stopLocalPostgres(join(dir, 'data')).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    say(`removed the embedded PostgreSQL of an earlier run that did not finish (${dir})`);
  }
}

async function ensurePostgres(started: StartedForTests): Promise<void> {
  const given = process.env.TEST_DATABASE_SERVER_URL;
  const url = given ?? DEFAULT_DATABASE_SERVER_URL;
  const probe = await probePostgres(url);
  if (probe.state === 'usable') return;
  if (given !== undefined) {
    throw new Error(`TEST_DATABASE_SERVER_URL=${given} is not usable: ${probe.reason}`);
  }
  // A directory the `postgres` OS user can enter when we run as root; the data directory inside it.
  await sweepAbandoned();
  const dir = mkdtempSync(join(tmpdir(), TEST_PG_PREFIX));
  chmodSync(dir, 0o755);
  writeFileSync(join(dir, 'owner.pid'), String(process.pid));
  try {
    const server = await startLocalPostgres({
      dataDir: join(dir, 'data'),
      preferredPort: 0,
      // Throw-away data: durability settings off, connections for two workers' apps and pools.
      settings: { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off', max_connections: 300 },
    });
    started.postgres = { server, dir };
    process.env.TEST_DATABASE_SERVER_URL = server.serverUrl;
    say(
      `nothing usable on ${url} (${probe.reason}): started embedded PostgreSQL ${server.version} ` +
        `on 127.0.0.1:${server.port} (psql ${server.serverUrl}/postgres), removed after the run`,
    );
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

async function ensureRedis(started: StartedForTests): Promise<void> {
  const given = process.env.TEST_REDIS_URL;
  const url = given ?? DEFAULT_REDIS_URL;
  const problem = await redisAnswers(url);
  if (problem === undefined) return;
  if (given !== undefined) {
    throw new Error(`TEST_REDIS_URL=${given} does not answer PING: ${problem}`);
  }
  if (onPath('redis-server')) {
    started.redis = await startPrivateRedis();
    process.env.TEST_REDIS_URL = started.redis.url;
    say(`no Redis on ${url} (${problem}): started redis-server on 127.0.0.1:${started.redis.port} for this run`);
    return;
  }
  process.env.TEST_QUEUE_BACKEND ??= 'postgres';
  say(
    `no Redis on ${url} (${problem}) and no redis-server on PATH: queues run on ` +
      `${process.env.TEST_QUEUE_BACKEND}; Redis-specific suites will be reported as not run`,
  );
}

export default async function globalSetup(): Promise<void> {
  rmSync(suiteReportFile(), { force: true });
  const started = startedForTests();
  try {
    await ensurePostgres(started);
    await ensureRedis(started);
  } catch (error) {
    await stopStarted();
    throw error;
  }
}

/** Stops whatever {@link globalSetup} started. */
export async function stopStarted(): Promise<void> {
  const started = startedForTests();
  if (started.redis) {
    await started.redis.kill();
    started.redis = undefined;
  }
  if (started.postgres) {
    const { server, dir } = started.postgres;
    started.postgres = undefined;
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
