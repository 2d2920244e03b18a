import type { DataSourceOptions } from 'typeorm';
import { migrations } from '../../migrations/index.js';
import type { AppConfig } from '../config/index.js';

/**
 * PostgreSQL options shared by the app and the migration CLI. `direct` connects to
 * `DATABASE_DIRECT_URL` when one is set (migrations, session locks); otherwise, and by default, to
 * `DATABASE_URL`.
 */
export function typeOrmOptions(config: AppConfig, connection: 'pooled' | 'direct' = 'pooled'): DataSourceOptions {
  const direct = connection === 'direct' && config.databaseDirectUrl !== undefined;
  return {
    type: 'postgres',
    url: direct ? config.databaseDirectUrl : config.databaseUrl,
    migrations,
    migrationsTableName: 'typeorm_migrations',
    synchronize: false,
    migrationsRun: false,
    // Long or idle transactions hold row locks and block vacuum (PITFALLS.md): bound both on every connection.
    extra: {
      max: direct ? 2 : config.dbPoolSize,
      application_name: 'debts-hub',
      ...sessionParameters(config, direct ? 'direct' : 'pooled'),
    },
  };
}

/**
 * The session settings every connection asks for at startup. A transaction pooler (PgBouncer)
 * refuses these startup parameters, so through one (`DATABASE_DIRECT_URL` set, connection not
 * direct) none is sent: the server's role or database defaults must hold the same values, which
 * the app checks at start (database.module.ts).
 */
export function sessionParameters(config: AppConfig, connection: 'pooled' | 'direct'): Record<string, unknown> {
  if (config.databaseDirectUrl !== undefined && connection === 'pooled') return {};
  return {
    statement_timeout: config.dbStatementTimeoutMs,
    idle_in_transaction_session_timeout: config.dbIdleInTransactionTimeoutMs,
    // READ COMMITTED for every transaction that names no level, whatever the server's or the
    // database's default: code that relies on it (IdempotencyService) opens its transactions
    // without a `SET TRANSACTION ISOLATION LEVEL` round trip (docs/adr/0025-round-trips-and-filtered-subscriptions.md).
    options: '-c default_transaction_isolation=read\\ committed',
  };
}
