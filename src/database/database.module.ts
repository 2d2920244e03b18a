import { type DynamicModule, Logger, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import type pg from 'pg';
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
  if (config.dbCreate && (await ensureDatabase(config.databaseUrl))) {
    logger.log(`created database ${databaseName(config.databaseUrl)}`);
  }
  const dataSource = await new DataSource(options).initialize();
  keepLostConnectionsFromCrashing(dataSource);
  await assertReadCommittedDefault(dataSource);
  if (config.dbMigrationsRun) {
    const applied = await runMigrationsLocked(dataSource);
    if (applied.length > 0) logger.log(`applied migrations: ${applied.map((m) => m.name).join(', ')}`);
  }
  return dataSource;
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
