/**
 * A throw-away PostgreSQL cluster of the drill's own: `initdb` into a temporary directory, `pg_ctl`
 * on a free local port, trust authentication for the `postgres` role on 127.0.0.1 only. Restarting
 * it, or terminating every connection in it, never touches the machine's own server. When the
 * drill runs as root the server binaries run as the `postgres` OS user (`runuser`), as PostgreSQL
 * refuses to run as root.
 */
import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from '../../test/support/app-process.js';

const run = promisify(execFile);

/** Debian's layout first (newest version), then whatever `PATH` holds. */
function binDir(): string {
  if (process.env.DRILL_PG_BIN) return process.env.DRILL_PG_BIN;
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter((v) => existsSync(join(root, v, 'bin', 'pg_ctl')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions.length > 0) return join(root, versions[0], 'bin');
  }
  return '';
}

export interface PrivatePostgres {
  readonly port: number;
  /** `postgres://postgres@127.0.0.1:<port>/<database>` */
  url(database: string): string;
  version(): Promise<string>;
  /** `pg_ctl restart -m fast`: every connection is cut, the server is back when this resolves. */
  restart(): Promise<void>;
  /** `pg_terminate_backend` on every client backend of `database` but the caller's; returns how many. */
  terminateConnections(database: string): Promise<number>;
  /** Stops the server (immediate) and removes its data directory. */
  destroy(): Promise<void>;
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = binDir();
  const tool = (name: string) => (bin ? join(bin, name) : name);
  const asRoot = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), 'drill-pg-'));
  const dataDir = join(dir, 'data');
  const logFile = join(dir, 'server.log');
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    chownSync(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  const pgTool = (name: string, args: string[]) =>
    asRoot ? run('runuser', ['-u', 'postgres', '--', tool(name), ...args]) : run(tool(name), args);
  const port = await freePort();
  await pgTool('initdb', ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8']);
  const options = [
    `-p ${port}`,
    `-k ${dir}`,
    `-c listen_addresses=127.0.0.1`,
    `-c max_connections=300`,
    `-c fsync=off`,
    `-c synchronous_commit=off`,
    `-c full_page_writes=off`,
  ].join(' ');
  const ctl = (args: string[]) => pgTool('pg_ctl', ['-D', dataDir, '-l', logFile, '-w', '-t', '60', ...args]);
  await ctl(['-o', options, 'start']);
  let running = true;

  const admin = async <T>(sql: string, params: unknown[] = [], database = 'postgres'): Promise<T[]> => {
    const client = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${port}/${database}` });
    await client.connect();
    try {
      return (await client.query(sql, params)).rows as T[];
    } finally {
      await client.end();
    }
  };

  return {
    port,
    url: (database) => `postgres://postgres@127.0.0.1:${port}/${database}`,
    async version() {
      const [row] = await admin<{ server_version: string }>('SHOW server_version');
      return row.server_version;
    },
    async restart() {
      await ctl(['-m', 'fast', '-o', options, 'restart']);
    },
    async terminateConnections(database) {
      const rows = await admin<{ pid: number }>(
        `SELECT pg_terminate_backend(pid) AS ok, pid FROM pg_stat_activity
          WHERE datname = $1 AND backend_type = 'client backend' AND pid <> pg_backend_pid()`,
        [database],
      );
      return rows.length;
    },
    async destroy() {
      if (running) {
        running = false;
        await ctl(['-m', 'immediate', 'stop']).catch(() => undefined);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
