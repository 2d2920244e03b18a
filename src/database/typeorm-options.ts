import type { DataSourceOptions } from 'typeorm';
import { migrations } from '../../migrations/index.js';
import type { AppConfig } from '../config/index.js';

/** PostgreSQL options shared by the app and the migration CLI. */
export function typeOrmOptions(config: AppConfig): DataSourceOptions {
  return {
    type: 'postgres',
    url: config.databaseUrl,
    migrations,
    migrationsTableName: 'typeorm_migrations',
    synchronize: false,
    migrationsRun: false,
    // Long or idle transactions hold row locks and block vacuum (PITFALLS.md): bound both on every connection.
    extra: {
      max: config.dbPoolSize,
      application_name: 'debts-hub',
      statement_timeout: config.dbStatementTimeoutMs,
      idle_in_transaction_session_timeout: config.dbIdleInTransactionTimeoutMs,
    },
  };
}
