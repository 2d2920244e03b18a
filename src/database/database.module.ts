import { type DynamicModule, Logger, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
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
