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
  if (config.dbMigrationsRun) {
    const applied = await runMigrationsLocked(dataSource);
    if (applied.length > 0) logger.log(`applied migrations: ${applied.map((m) => m.name).join(', ')}`);
  }
  return dataSource;
}
