/**
 * `npm run dev`: one process with every role, recompiled and restarted on every change
 * (`nest start --watch`, SWC builder, type-checked alongside; ADR 0036).
 *
 * With DATABASE_URL unset and no PostgreSQL answering on 127.0.0.1:5432, it first starts the
 * project's own embedded PostgreSQL (data in .data/postgres, kept between runs), points
 * DATABASE_URL at it, and stops it again when the app has stopped. REDIS_URL is passed on as given:
 * unset, the app runs its queues on PostgreSQL.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { type LocalPostgres, probePostgres, startLocalPostgres } from './support/local-postgres.js';

const DEFAULT_SERVER = 'postgres://postgres@127.0.0.1:5432';
const DATABASE = 'debts_hub';
const root = process.cwd();

async function database(env: NodeJS.ProcessEnv): Promise<LocalPostgres | undefined> {
  if (env.DATABASE_URL) return undefined;
  const probe = await probePostgres(DEFAULT_SERVER);
  if (probe.state === 'usable') return undefined;
  const dataDir = join(root, '.data', 'postgres');
  const server = await startLocalPostgres({ dataDir, preferredPort: 5432 });
  env.DATABASE_URL = `${server.serverUrl}/${DATABASE}`;
  const what = {
    initialised: 'started (new data directory)',
    started: 'started',
    adopted: `reused (left running by an earlier run, pid ${server.pid})`,
  }[server.how];
  const why =
    probe.state === 'unusable' && server.port !== 5432
      ? `; 127.0.0.1:5432 is taken by something unusable (${probe.reason})`
      : '';
  process.stdout.write(
    `dev: embedded PostgreSQL ${server.version} ${what} on 127.0.0.1:${server.port}, data in ` +
      `${relative(root, dataDir)}${why}: psql ${env.DATABASE_URL}\n`,
  );
  return server;
}

/** Resolves when no process of the group `pgid` is left (the app may outlive the nest CLI briefly). */
async function groupGone(pgid: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      process.kill(-pgid, 0);
    } catch {
      return;
    }
    if (Date.now() > deadline) {
      process.kill(-pgid, 'SIGKILL');
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function main(): Promise<void> {
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'development' };
  const server = await database(env);

  const nest = createRequire(import.meta.url).resolve('@nestjs/cli/bin/nest.js');
  // A process group of its own, so the app gets exactly one signal from us (never a second one from the
  // terminal) and nothing of it is left behind when we stop it.
  const child: ChildProcess = spawn(
    process.execPath,
    [nest, 'start', '--config', 'nest-cli.dev.json', '--watch', ...process.argv.slice(2)],
    { env, stdio: 'inherit', detached: true },
  );
  const pgid = child.pid;
  if (pgid === undefined) throw new Error('could not start nest');

  // Ctrl-C reaches us twice (from the terminal and relayed by tsx): a repeat within a second is that
  // echo; one later means "stop now".
  let firstSignalAt: number | undefined;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      const now = Date.now();
      if (firstSignalAt !== undefined && now - firstSignalAt < 1_000) return;
      const force = firstSignalAt !== undefined;
      firstSignalAt ??= now;
      try {
        process.kill(-pgid, force ? 'SIGKILL' : signal);
      } catch {
        // already gone
      }
    });
  }
  const code = await new Promise<number>((resolve) =>
    child.once('exit', (exitCode, signal) => resolve(exitCode ?? (signal ? 128 : 1))),
  );
  await groupGone(pgid, Number(env.SHUTDOWN_TIMEOUT_MS ?? 25_000) + 5_000);
  if (server) {
    await server.stop();
    process.stdout.write(`dev: embedded PostgreSQL stopped\n`);
  }
  process.exit(firstSignalAt !== undefined ? 0 : code);
}

main().catch((error: unknown) => {
  process.stderr.write(`dev: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
