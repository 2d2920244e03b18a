import { existsSync, mkdtempSync, chmodSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, probePostgres, startLocalPostgres } from '../../scripts/support/local-postgres.js';

/**
 * The embedded PostgreSQL behind `npm run dev` and `npm test` on a machine without one (ADR 0036):
 * a new data directory is initialised, an existing one reused, a server left running by a killed
 * launcher adopted, and a taken port avoided.
 */
describe('embedded PostgreSQL (scripts/support/local-postgres.ts)', () => {
  let dir: string;
  let blocker: Server | undefined;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'debts-hub-local-pg-'));
    chmodSync(dir, 0o755); // the `postgres` OS user runs the server when the tests run as root
  });

  afterAll(async () => {
    blocker?.close();
    // Whatever a failed test left running.
    if (existsSync(join(dir, 'data', 'postmaster.pid'))) {
      const server = await startLocalPostgres({ dataDir: join(dir, 'data') }).catch(() => undefined);
      await server?.stop();
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('initialises, restarts on the same data, adopts a server left running, and stops it', async () => {
    const dataDir = join(dir, 'data');
    // Something that is not PostgreSQL holds the preferred port.
    const taken = await freePort();
    blocker = createServer().listen(taken, '127.0.0.1');

    const first = await startLocalPostgres({ dataDir, preferredPort: taken });
    expect(first.how).toBe('initialised');
    expect(first.port).not.toBe(taken);
    expect(await probePostgres(first.serverUrl)).toEqual({ state: 'usable' });
    const { Client } = (await import('pg')).default;
    const client = new Client({ connectionString: `${first.serverUrl}/postgres` });
    await client.connect();
    await client.query('CREATE TABLE kept (id int)');
    await client.end();

    // The launcher dies without stopping the server: the next start finds it and uses it as it is.
    const again = await startLocalPostgres({ dataDir, preferredPort: taken });
    expect(again.how).toBe('adopted');
    expect(again.pid).toBe(first.pid);
    expect(again.port).toBe(first.port);

    await again.stop();
    expect(await probePostgres(first.serverUrl)).toMatchObject({ state: 'absent' });

    const restarted = await startLocalPostgres({ dataDir });
    try {
      expect(restarted.how).toBe('started');
      const reader = new Client({ connectionString: `${restarted.serverUrl}/postgres` });
      await reader.connect();
      const { rows } = await reader.query("SELECT to_regclass('kept') IS NOT NULL AS kept");
      await reader.end();
      expect(rows).toEqual([{ kept: true }]);
    } finally {
      await restarted.stop();
    }
  }, 120_000);
});
