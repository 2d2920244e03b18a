import type { DataSource, Migration } from 'typeorm';

// Any constant works; it only has to be the same in every process of this app.
const MIGRATION_LOCK_KEY = 7_340_112;

/**
 * Applies pending migrations under a session advisory lock, so processes starting together
 * apply each migration once instead of racing.
 */
export async function runMigrationsLocked(dataSource: DataSource): Promise<Migration[]> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      return await dataSource.runMigrations({ transaction: 'each' });
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await runner.release();
  }
}
