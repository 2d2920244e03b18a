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
      // READ COMMITTED for every transaction that names no level, whatever the server's or the
      // database's default: code that relies on it (IdempotencyService) opens its transactions
      // without a `SET TRANSACTION ISOLATION LEVEL` round trip (docs/adr/0025-round-trips-and-filtered-subscriptions.md).
      options: '-c default_transaction_isolation=read\\ committed',
    },
  };
}
