import { type DynamicModule, Logger, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import pg from 'pg';
import { DataSource, type DataSourceOptions } from 'typeorm';
import type { AppConfig } from '../config/index.js';
import { databaseName, ensureDatabase } from './ensure-database.js';
import { runMigrationsLocked } from './run-migrations.js';
import { typeOrmOptions } from './typeorm-options.js';

const logger = new Logger('Database');

/** TypeORM over PostgreSQL: creates the database when asked, applies migrations, never synchronizes. */
@Module({})
export class DatabaseModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: () => ({ ...typeOrmOptions(config), autoLoadEntities: true }),
          dataSourceFactory: (options?: DataSourceOptions) => openDataSource(options, config),
        }),
      ],
    };
  }
}

async function openDataSource(options: DataSourceOptions | undefined, config: AppConfig): Promise<DataSource> {
  if (!options) throw new Error('TypeORM options missing');
  const directUrl = config.databaseDirectUrl ?? config.databaseUrl;
  if (config.dbCreate && (await ensureDatabase(directUrl))) {
    logger.log(`created database ${databaseName(directUrl)}`);
  }
  if (config.databaseDirectUrl !== undefined && config.dbMigrationsRun) {
    // Migrations hold a session advisory lock and run DDL: never through a transaction pooler.
    const direct = await new DataSource({
      ...options,
      ...typeOrmOptions(config, 'direct'),
    } as DataSourceOptions).initialize();
    try {
      await migrate(direct);
    } finally {
      await direct.destroy();
    }
  }
  const dataSource = await new DataSource(options).initialize();
  keepLostConnectionsFromCrashing(dataSource);
  await assertReadCommittedDefault(dataSource);
  if (config.databaseDirectUrl !== undefined) {
    await assertPoolerConsistent(dataSource, config);
  } else if (config.dbMigrationsRun) {
    await migrate(dataSource);
  }
  return dataSource;
}

async function migrate(dataSource: DataSource): Promise<void> {
  const applied = await runMigrationsLocked(dataSource);
  if (applied.length > 0) logger.log(`applied migrations: ${applied.map((m) => m.name).join(', ')}`);
}

/**
 * Through a transaction pooler (`DATABASE_DIRECT_URL` set) no session parameter reaches the server
 * (typeorm-options.ts), so its own defaults must be the configured ones, and `DATABASE_DIRECT_URL`
 * must reach the same database as `DATABASE_URL`: otherwise the relay would `LISTEN` to, and the
 * migrations change, another database. Each mismatch is one line of the refusal.
 */
export async function assertPoolerConsistent(dataSource: DataSource, config: AppConfig): Promise<void> {
  const problems: string[] = [];
  const [pooled]: Array<{ db: string; started: string; statement: string; idle: string }> = await dataSource.query(
    `SELECT current_database() AS db, pg_postmaster_start_time()::text AS started,
            current_setting('statement_timeout') AS statement,
            current_setting('idle_in_transaction_session_timeout') AS idle`,
  );
  const settings: Array<[string, string, string, number]> = [
    ['statement_timeout', pooled.statement, 'DB_STATEMENT_TIMEOUT_MS', config.dbStatementTimeoutMs],
    [
      'idle_in_transaction_session_timeout',
      pooled.idle,
      'DB_IDLE_IN_TRANSACTION_TIMEOUT_MS',
      config.dbIdleInTransactionTimeoutMs,
    ],
  ];
  for (const [setting, actual, variable, wanted] of settings) {
    if (milliseconds(actual) !== wanted) {
      problems.push(
        `through the pooler ${setting} is ${actual}, not ${variable}=${wanted}: set it on the role or database (ALTER ROLE ... SET ${setting} = ${wanted})`,
      );
    }
  }
  const direct = new pg.Client({ connectionString: config.databaseDirectUrl, application_name: 'debts-hub' });
  await direct.connect();
  try {
    const { rows } = await direct.query<{ db: string; started: string }>(
      `SELECT current_database() AS db, pg_postmaster_start_time()::text AS started`,
    );
    if (rows[0]!.db !== pooled.db || rows[0]!.started !== pooled.started) {
      problems.push(
        `DATABASE_DIRECT_URL reaches database "${rows[0]!.db}" of another server or database than DATABASE_URL ("${pooled.db}")`,
      );
    }
  } finally {
    await direct.end();
  }
  if (problems.length > 0) {
    await dataSource.destroy();
    throw new Error(`inconsistent database settings:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** A duration setting as PostgreSQL shows it (`30s`, `1min`, `0`), in milliseconds. */
function milliseconds(shown: string): number {
  const match = /^(\d+)(ms|s|min|h|d)?$/.exec(shown.trim());
  if (!match) return Number.NaN;
  const unit = { ms: 1, s: 1000, min: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] ?? 'ms']!;
  return Number(match[1]) * unit;
}

/**
 * Transactions that name no isolation level rely on READ COMMITTED (the keyed-request transaction
 * among them), which every connection asks for at startup (typeorm-options.ts). A pooler that
 * drops that startup parameter on a server with another default would break it silently: refuse
 * to start instead (docs/adr/0025-round-trips-and-filtered-subscriptions.md).
 */
export async function assertReadCommittedDefault(dataSource: DataSource): Promise<void> {
  const [{ level }]: Array<{ level: string }> = await dataSource.query(
    `SELECT current_setting('default_transaction_isolation') AS level`,
  );
  if (level !== 'read committed') {
    await dataSource.destroy();
    throw new Error(
      `connections default to "${level}" isolation, not "read committed": a connection pooler is dropping the "options" startup parameter`,
    );
  }
}

/**
 * pg-pool listens for errors on idle connections only. A connection the server ends while a query
 * runner holds it between two statements (`pg_terminate_backend`, a server restart or failover, an
 * idle-in-transaction timeout) emits `error` with no listener, and Node ends the whole process. Every
 * connection gets one listener the first time it is checked out: the statement or commit that
 * follows still fails its request or job (retried as usual), and the pool drops the broken client.
 */
export function keepLostConnectionsFromCrashing(dataSource: DataSource): void {
  const pool = (dataSource.driver as unknown as { master: pg.Pool }).master;
  const guarded = new WeakSet<pg.PoolClient>();
  pool.on('acquire', (client) => {
    if (guarded.has(client)) return;
    guarded.add(client);
    client.on('error', (error: Error) => logger.warn(`a PostgreSQL connection in use was lost: ${error.message}`));
  });
}
