/**
 * Which queue backend each e2e suite runs on, and a record of it for the end-of-run report.
 * Suites run on `TEST_QUEUE_BACKEND` (default `redis`); suites about Redis itself (FLUSHALL, a Redis
 * restart, `noeviction`, Redis outages, Redis job keys, rate limits in Redis) call {@link redisSuite},
 * which runs them on Redis whatever `TEST_QUEUE_BACKEND` says, or skips them, recorded with the reason,
 * when no Redis answers. `isolate()` records every suite that starts an app (docs/adr/0035).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { Redis } from 'ioredis';
import { type Tool, toolSkipReason } from './tools.js';

export type QueueBackendName = 'redis' | 'postgres';

const PING_TIMEOUT_MS = 1000;
/** Suites (by file) that called {@link redisSuite}: their apps use Redis. Keyed by file, as one worker runs several suites. */
const redisSuites = new Set<string>();
const recorded = new Set<string>();

/** Backend test apps of this suite use: TEST_QUEUE_BACKEND (default 'redis'). */
export function suiteBackend(): QueueBackendName {
  const value = process.env.TEST_QUEUE_BACKEND ?? 'redis';
  if (value !== 'redis' && value !== 'postgres') {
    throw new Error(`TEST_QUEUE_BACKEND must be "redis" or "postgres", not "${value}"`);
  }
  return value;
}

/**
 * For Redis-specific suites: returns describe or describe.skip. Checks a Redis answers PING on
 * TEST_REDIS_URL (default redis://127.0.0.1:6379) within 1 s, and that the `tools` the suite needs
 * (test/support/tools.ts: e.g. redis-server for suites that start their own) are here; records the
 * decision.
 */
export async function redisSuite(file: string, ...tools: Tool[]): Promise<typeof describe> {
  const key = suiteKey(file);
  redisSuites.add(key);
  const url = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
  const problem = await pingRedis(url);
  if (problem !== undefined) {
    recordSuite(file, 'none', false, `Redis-specific suite and no Redis answers PING on ${url}: ${problem}`);
    return describe.skip;
  }
  const missing = tools.map(toolSkipReason).find((reason) => reason !== undefined);
  if (missing !== undefined) {
    recordSuite(file, 'none', false, missing);
    return describe.skip;
  }
  recordSuite(file, 'redis', true);
  return describe;
}

/**
 * `describe` for a suite that needs `tool` (test/support/tools.ts): it runs when the tool is here, or
 * when TEST_REQUIRE_TOOLS=1 (and then fails on the missing program); otherwise it is skipped and
 * recorded with the way to install the tool.
 */
export function describeWithTool(file: string, tool: Tool): typeof describe {
  const reason = toolSkipReason(tool);
  if (reason === undefined) return describe;
  recordSuite(file, 'none', false, reason);
  return describe.skip;
}

/**
 * `it` for one test that needs `tool`, decided as {@link describeWithTool}; the rest of the suite
 * runs. A test whose tool is missing is not registered: the end-of-run report names it, with the
 * reason (`TESTS NOT RUN`).
 */
export function itWithTool(
  file: string,
  tool: Tool,
): (title: string, fn: jest.ProvidesCallback, timeout?: number) => void {
  const reason = toolSkipReason(tool);
  if (reason === undefined) return it;
  return (title) => recordSuite(file, 'none', false, reason, title);
}

/**
 * Appends {file, backend, ran, reason?, test?} as one JSON line to
 * `${process.env.TEST_REPORT_FILE ?? '.test-build/suite-backends.jsonl'}`. With `test`, the record is
 * about that one test of the suite (test/support/tools.ts), not the suite.
 */
export function recordSuite(
  file: string,
  backend: QueueBackendName | 'none',
  ran: boolean,
  reason?: string,
  test?: string,
): void {
  const key = suiteKey(file);
  if (test === undefined) recorded.add(key);
  const target = resolve(process.env.TEST_REPORT_FILE ?? '.test-build/suite-backends.jsonl');
  mkdirSync(dirname(target), { recursive: true });
  const line = JSON.stringify({
    file: key,
    backend,
    ran,
    ...(reason === undefined ? {} : { reason }),
    ...(test === undefined ? {} : { test }),
  });
  appendFileSync(target, `${line}\n`);
}

/** The suite a helper acts for when the suite is not on the call stack (see {@link onBehalfOf}). */
const actingFor = new AsyncLocalStorage<string | undefined>();

/**
 * The e2e suite on the current call stack: a helper that starts apps later on a suite's behalf (a
 * `beforeAll` registered by test/support/scenario.ts, whose stack does not reach the suite's file)
 * takes it at registration and passes it to {@link onBehalfOf}.
 */
export function currentSuite(): string | undefined {
  return callingSuite() ?? actingFor.getStore();
}

/** Runs `fn` as if called from `suite`: its apps get that suite's backend and are recorded under it. */
export function onBehalfOf<T>(suite: string | undefined, fn: () => Promise<T>): Promise<T> {
  return actingFor.run(suite, fn);
}

/**
 * The backend a test app started now should use, recorded once per suite: Redis for a suite that
 * called {@link redisSuite}, else {@link suiteBackend}. The suite is found on the call stack, or
 * is the one a helper acts for ({@link onBehalfOf}).
 */
export function backendForCaller(): QueueBackendName {
  const file = currentSuite();
  const backend = file !== undefined && redisSuites.has(file) ? 'redis' : suiteBackend();
  if (file !== undefined && !recorded.has(file)) recordSuite(file, backend, true);
  return backend;
}

/** The e2e suite on the current call stack (as a path from the project root), if any. */
function callingSuite(): string | undefined {
  const stack = new Error().stack ?? '';
  const match = /(?:file:\/\/)?(\/[^\s():]+\.e2e-spec\.js)/.exec(stack);
  return match ? suiteKey(match[1]) : undefined;
}

/** A suite's name as a source path from the project root: `test/outbox/x.e2e-spec.ts`, whatever the build dir. */
function suiteKey(file: string): string {
  const path = file.startsWith('file://') ? new URL(file).pathname : file;
  const fromRoot = relative(process.cwd(), path);
  return fromRoot.replace(/^[^/]*\/(?=(test|src|scripts)\/)/, '').replace(/\.js$/, '.ts');
}

async function pingRedis(url: string): Promise<string | undefined> {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: PING_TIMEOUT_MS,
    commandTimeout: PING_TIMEOUT_MS,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  redis.on('error', () => {});
  try {
    await redis.connect();
    const answer = await redis.ping();
    return answer === 'PONG' ? undefined : `answered ${answer}`;
  } catch (error) {
    return (error as Error).message;
  } finally {
    redis.disconnect();
  }
}
