import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { loadConfig } from '../../src/config/index.js';
import { assertPoolerConsistent } from '../../src/database/database.module.js';
import { databaseName } from '../../src/database/index.js';
import { typeOrmOptions } from '../../src/database/typeorm-options.js';
import { freePort } from '../support/app-process.js';
import { describeWithTool } from '../support/suite-backends.js';
import { isolate, TEST_DATABASE_SERVER_URL, type TestIsolation } from '../support/test-env.js';
import { PGBOUNCER } from '../support/tools.js';

const SCRIPT = join(process.cwd(), 'scripts', 'pgbouncer', 'pgbouncer.sh');

/**
 * Behind a transaction pooler no session parameter reaches the server, so the app checks at start
 * that the server's own defaults are its settings and that DATABASE_DIRECT_URL reaches the same
 * database (docs/adr/0038-pgbouncer-transaction-pooling.md). A private PgBouncer (Debian's 1.18)
 * in transaction mode, in front of the test server.
 */
async function setDefaults(isolation: TestIsolation, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: isolation.databaseUrl });
  await client.connect();
  try {
    await client.query(sql.replaceAll('$db', `"${databaseName(isolation.databaseUrl)}"`));
  } finally {
    await client.end();
  }
}

describeWithTool(import.meta.url, PGBOUNCER)('behind PgBouncer in transaction mode', () => {
  let dir: string;
  let poolerServer: string;
  let isolation: TestIsolation;
  let pooledUrl: string;
  /** A second database, given the configured defaults before any pooled connection reaches it. */
  let configured: TestIsolation;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'debts-hub-pgbouncer-'));
    // In front of the server the tests use: the machine's, or the embedded one (test/support/global-setup.ts).
    const server = new URL(TEST_DATABASE_SERVER_URL);
    poolerServer = execFileSync(
      'bash',
      [SCRIPT, 'start', dir, String(await freePort()), server.hostname, server.port || '5432'],
      { encoding: 'utf8', env: { ...process.env, PGBOUNCER_SERVER_PASSWORD: decodeURIComponent(server.password) } },
    ).trim();
    // Session defaults apply to new server connections only: each database gets its defaults
    // before PgBouncer opens one to it (an operator changing them later must RECONNECT PgBouncer).
    isolation = await isolate();
    await setDefaults(isolation, `ALTER DATABASE $db RESET ALL`);
    configured = await isolate();
    await setDefaults(configured, `ALTER DATABASE $db SET statement_timeout = 30000`);
    await setDefaults(configured, `ALTER DATABASE $db SET idle_in_transaction_session_timeout = 60000`);
    pooledUrl = `${poolerServer}/${databaseName(isolation.databaseUrl)}`;
  }, 60_000);
  afterAll(async () => {
    await isolation?.dispose();
    await configured?.dispose();
    if (dir) {
      execFileSync('bash', [SCRIPT, 'stop', dir]);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  const configFor = (directUrl: string, pooled = pooledUrl) =>
    loadConfig({ ...isolation.env, DATABASE_URL: pooled, DATABASE_DIRECT_URL: directUrl });

  const check = async (directUrl: string, pooled = pooledUrl): Promise<void> => {
    const config = configFor(directUrl, pooled);
    const dataSource = await new DataSource(typeOrmOptions(config)).initialize();
    try {
      await assertPoolerConsistent(dataSource, config);
    } finally {
      if (dataSource.isInitialized) await dataSource.destroy();
    }
  };

  it('sends no startup parameter through the pooler, which refuses them', async () => {
    const config = configFor(isolation.databaseUrl);
    const plain = new pg.Client({ connectionString: pooledUrl, statement_timeout: 1000 });
    await expect(plain.connect()).rejects.toThrow(/unsupported startup parameter/);
    await plain.end().catch(() => undefined);
    const dataSource = await new DataSource(typeOrmOptions(config)).initialize();
    try {
      expect(await dataSource.query(`SELECT 1 AS one`)).toEqual([{ one: 1 }]);
    } finally {
      await dataSource.destroy();
    }
  });

  it('refuses to start, one line per setting, while the server does not default to the configured timeouts', async () => {
    await expect(check(isolation.databaseUrl)).rejects.toThrow(
      new RegExp(
        [
          'inconsistent database settings:',
          '  - through the pooler statement_timeout is 0, not DB_STATEMENT_TIMEOUT_MS=30000: set it on the role or database \\(ALTER ROLE \\.\\.\\. SET statement_timeout = 30000\\)',
          '  - through the pooler idle_in_transaction_session_timeout is 0, not DB_IDLE_IN_TRANSACTION_TIMEOUT_MS=60000: set it on the role or database \\(ALTER ROLE \\.\\.\\. SET idle_in_transaction_session_timeout = 60000\\)$',
        ].join('\n'),
      ),
    );
    const configuredPooled = `${poolerServer}/${databaseName(configured.databaseUrl)}`;
    await expect(check(configured.databaseUrl, configuredPooled)).resolves.toBeUndefined();
  });

  it('refuses a DATABASE_DIRECT_URL that reaches another database than DATABASE_URL', async () => {
    const other = new URL(isolation.databaseUrl);
    other.pathname = '/postgres';
    await expect(check(other.toString())).rejects.toThrow(
      /DATABASE_DIRECT_URL reaches database "postgres" of another server or database than DATABASE_URL \("debts_hub_test_/,
    );
  });
});
