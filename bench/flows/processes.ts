/**
 * The processes `bench:flows` runs and measures: the built app (dist/src/main.js) in production mode,
 * the stub payment provider, and the load generator (bench/flows/client.ts); the benchmark's own
 * database and Redis prefix; and CPU time read from /proc. Every child and the database are removed
 * on exit, Ctrl-C or error ({@link cleanUp}).
 */
import { type ChildProcess, fork, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { deleteRedisKeys } from '../../test/support/test-env.js';

export const SERVER_URL = process.env.BENCH_DATABASE_SERVER_URL ?? 'postgres://postgres@127.0.0.1:5432';
export const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
/** The app processes' queue backend (`--backend` of bench:flows); Redis unless asked otherwise. */
const QUEUE_BACKEND = process.env.BENCH_QUEUE_BACKEND ?? 'redis';
const ROOT = process.cwd();
export const APP_MAIN = join(ROOT, 'dist', 'src', 'main.js');
const STUB_MAIN = join(ROOT, 'dist', 'scripts', 'gateway-stub', 'main.js');
/** Compiled beside this file by tsconfig.bench.json. */
const HERE = join(ROOT, '.bench-build', 'bench', 'flows');
export const CLIENT_MAIN = join(HERE, 'client.js');
export const PROFILE_HOOK = join(HERE, 'profile-hook.js');

/** Secrets of this run only: production refuses the ones printed in the repository. */
export const SECRETS = {
  jwt: randomBytes(32).toString('hex'),
  webhook: randomBytes(24).toString('hex'),
  gatewayKey: `bench-${randomBytes(16).toString('hex')}`,
  adminPassword: randomBytes(16).toString('hex'),
  metricsToken: randomBytes(16).toString('hex'),
};

const CLK_TCK = 100;
const children = new Set<ChildProcess>();
const cleanups: Array<() => Promise<void>> = [];

/** Registers work for {@link cleanUp}, run last-in first-out. */
export function onCleanUp(fn: () => Promise<void>): void {
  cleanups.push(fn);
}

let cleaning: Promise<void> | undefined;
/** Stops every child (SIGTERM, then SIGKILL after 5 s) and runs the registered clean-ups once. */
export function cleanUp(): Promise<void> {
  cleaning ??= (async () => {
    await Promise.all([...children].map((child) => stopChild(child)));
    for (const fn of cleanups.reverse()) {
      try {
        await fn();
      } catch (error) {
        process.stderr.write(`clean-up: ${(error as Error).message}\n`);
      }
    }
  })();
  return cleaning;
}

export async function stopChild(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    children.delete(child);
    return;
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
  children.delete(child);
}

/** A fresh database of this run's own and a Redis key prefix; removed by `dispose()` or else by {@link cleanUp}. */
export async function createIsolation(): Promise<{
  databaseName: string;
  databaseUrl: string;
  queuePrefix: string;
  dispose(): Promise<void>;
}> {
  const id = `${process.pid}_${randomBytes(3).toString('hex')}`;
  const databaseName = `debts_hub_bench_${id}`;
  const queuePrefix = `bench-flows-${id.replace('_', '-')}`;
  await admin(`CREATE DATABASE ${databaseName}`);
  let disposed: Promise<void> | undefined;
  const dispose = () =>
    (disposed ??= (async () => {
      if (QUEUE_BACKEND === 'redis') await deleteRedisKeys(queuePrefix, REDIS_URL);
      await admin(`DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`);
    })());
  onCleanUp(dispose);
  return { databaseName, databaseUrl: `${SERVER_URL}/${databaseName}`, queuePrefix, dispose };
}

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: `${SERVER_URL}/postgres` });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A child process with what it printed. */
export interface Child {
  child: ChildProcess;
  pid: number;
  output(): string;
}

function track(child: ChildProcess): Child {
  children.add(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.once('exit', () => children.delete(child));
  return { child, pid: child.pid ?? -1, output: () => output };
}

/** The stub provider (scripts/gateway-stub) in its own process, no faults, webhooks on. */
export async function startStub(): Promise<Child & { url: string; configure(patch: object): Promise<void> }> {
  const child = spawn(process.execPath, [STUB_MAIN], {
    env: { PATH: process.env.PATH ?? '', STUB_PORT: '0', STUB_API_KEY: SECRETS.gatewayKey, STUB_QUIET: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const tracked = track(child);
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway stub did not start:\n${tracked.output()}`)), 20_000);
    const onData = () => {
      const match = /gateway stub listening on (http:\/\/\S+)/.exec(tracked.output());
      if (match) {
        clearTimeout(timer);
        child.stdout.off('data', onData);
        resolve(match[1]);
      }
    };
    child.stdout.on('data', onData);
    child.once('exit', (code) => reject(new Error(`gateway stub exited with ${code}:\n${tracked.output()}`)));
  });
  return {
    ...tracked,
    url,
    async configure(patch) {
      const response = await fetch(`${url}/_stub/settings`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(patch),
      });
      if (!response.ok) throw new Error(`stub settings: ${response.status} ${await response.text()}`);
    },
  };
}

/** What Nest logs (at `info`) once every module has started: the readiness of roles without HTTP. */
const STARTED = 'Nest application successfully started';

export interface AppOptions {
  /** APP_ROLES; undefined: every role. */
  roles?: string;
  databaseUrl: string;
  queuePrefix: string;
  gatewayUrl: string;
  port: number;
  /** Loads bench/flows/profile-hook.js: SIGUSR2 starts and stops a CPU profile written to this directory. */
  profileDir?: string;
  extraEnv?: Record<string, string>;
  /** Another Redis than {@link REDIS_URL} (the drill's private server). */
  redisUrl?: string;
  /** Another build's `dist/src/main.js` than this checkout's {@link APP_MAIN} (a variant of `--part tracing`). */
  main?: string;
}

/**
 * The built app as a production process; resolves once `/health/ready` answers 200 (roles without
 * `api` serve no HTTP: once the process has logged that Nest started).
 */
export async function startApp(options: AppOptions): Promise<Child & { url: string }> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'production',
    LOG_LEVEL: 'error',
    PORT: String(options.port),
    DATABASE_URL: options.databaseUrl,
    REDIS_URL: options.redisUrl ?? REDIS_URL,
    QUEUE_BACKEND,
    QUEUE_PREFIX: options.queuePrefix,
    AUTH_JWT_SECRET: SECRETS.jwt,
    GATEWAY_WEBHOOK_SECRET: SECRETS.webhook,
    PAYMENT_GATEWAY: 'http',
    GATEWAY_URL: options.gatewayUrl,
    GATEWAY_API_KEY: SECRETS.gatewayKey,
    ADMIN_USERNAME: 'bench-admin',
    ADMIN_PASSWORD: SECRETS.adminPassword,
    METRICS_TOKEN: SECRETS.metricsToken,
    // The limits stay on (their Redis call is part of every request's cost) but are never reached:
    // the load generator is one principal per fixture and one address for everything.
    RATE_LIMIT_PER_MINUTE: '100000000',
    RATE_LIMIT_WEBHOOK_PER_MINUTE: '100000000',
    // Orders: the bench's customers each hold a few unpaid orders at most, but bursts place many.
    ORDER_MAX_OPEN_UNPAID: '1000000',
    ...(options.roles === undefined ? {} : { APP_ROLES: options.roles }),
    ...options.extraEnv,
  };
  if (options.profileDir) env.BENCH_PROFILE_DIR = options.profileDir;
  const main = options.main ?? APP_MAIN;
  const args = options.profileDir ? ['--import', PROFILE_HOOK, main] : [main];
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const tracked = track(child);
  const url = `http://127.0.0.1:${options.port}`;
  const deadline = Date.now() + 120_000;
  const serves = options.roles === undefined || options.roles.split(',').includes('api');
  let last = 'not started';
  const ready = async () => {
    if (!serves) return tracked.output().includes(STARTED);
    try {
      const response = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(5000) });
      if (response.status === 200) return true;
      last = `${response.status} ${await response.text()}`;
    } catch (error) {
      last = (error as Error).message; // not listening yet
    }
    return false;
  };
  for (;;) {
    if (child.exitCode !== null) throw new Error(`app exited with ${child.exitCode}:\n${tracked.output()}`);
    if (await ready()) break;
    if (Date.now() > deadline) throw new Error(`app not ready within 120 s (${last}):\n${tracked.output()}`);
    await sleep(200);
  }
  return { ...tracked, url };
}

/** The load generator (bench/flows/client.ts) in its own process, driven over IPC. */
export interface LoadClient {
  pid: number;
  run<T>(job: string, params: object): Promise<T>;
  stop(): Promise<void>;
}

export function startClient(env: Record<string, string>): LoadClient {
  const child = fork(CLIENT_MAIN, [], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  track(child);
  let nextId = 0;
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  child.on('message', (message: { id: number; result?: unknown; error?: string }) => {
    const waiter = pending.get(message.id);
    if (!waiter) return;
    pending.delete(message.id);
    if (message.error !== undefined) waiter.reject(new Error(`load client: ${message.error}`));
    else waiter.resolve(message.result);
  });
  child.once('exit', (code) => {
    for (const waiter of pending.values()) waiter.reject(new Error(`load client exited with ${code}`));
    pending.clear();
  });
  return {
    pid: child.pid ?? -1,
    run<T>(job: string, params: object) {
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        child.send({ id, job, params });
      });
    },
    stop: () => stopChild(child),
  };
}

/** utime + stime of one process, in milliseconds (0 once it has exited). */
export function processCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
  } catch {
    return 0;
  }
}

/** CPU ms of the PostgreSQL backends whose process title names `databaseName`, by pid. */
export function postgresBackendsCpu(databaseName: string): Map<number, number> {
  const result = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const comm = readFileSync(`/proc/${entry}/comm`, 'utf8').trim();
      if (comm !== 'postgres') continue;
      const title = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (!title.split(/[\s\0]+/).includes(databaseName)) continue;
      result.set(Number(entry), processCpuMs(Number(entry)));
    } catch {
      /* exited */
    }
  }
  return result;
}

/** CPU ms spent by the bench database's backends between two {@link postgresBackendsCpu} readings. */
export function postgresCpuDelta(before: Map<number, number>, after: Map<number, number>): number {
  let sum = 0;
  for (const [pid, ms] of after) sum += ms - (before.get(pid) ?? 0);
  return sum;
}

/** The pids of the redis-server listening on `redisUrl`'s port (shared: its CPU is everyone's). */
export function redisServerPids(redisUrl: string): number[] {
  const port = new URL(redisUrl).port || '6379';
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (!readFileSync(`/proc/${entry}/comm`, 'utf8').trim().startsWith('redis-server')) continue;
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(`:${port}`)) pids.push(Number(entry));
    } catch {
      /* exited */
    }
  }
  return pids;
}

export function sumCpuMs(pids: readonly number[]): number {
  return pids.reduce((sum, pid) => sum + processCpuMs(pid), 0);
}

export function requireBuilt(): void {
  for (const file of [APP_MAIN, STUB_MAIN, CLIENT_MAIN]) {
    if (!existsSync(file)) throw new Error(`${file} is missing: run \`npm run bench:flows\` (it builds first)`);
  }
}
