import type pg from 'pg';
import type { DataSource, QueryRunner } from 'typeorm';

/**
 * A named statement of the outbox's hot path. PostgreSQL parses it once per connection and, after
 * a few executions, reuses a generic plan, so the relay, the writer and the inbox do not pay for
 * planning their (CTE-heavy) statements on every event. The text must not use `*` over a table,
 * so a later column change cannot alter a cached plan's result.
 */
export interface PreparedStatement {
  readonly name: string;
  readonly text: string;
}

export function prepared(name: string, text: string): PreparedStatement {
  return { name: `outbox_${name}`, text };
}

/** DataSources whose statements go unnamed (`DB_PREPARED_STATEMENTS=false`). */
const unnamed = new WeakSet<DataSource>();

/**
 * Whether the statements run through `dataSource` are named (parsed once per connection) or sent
 * unnamed, as a transaction pooler that does not carry prepared statements from one transaction to
 * the next (PgBouncer before 1.21) needs: there, a name prepared on one server connection is unknown
 * on the next (docs/adr/0038-pgbouncer-transaction-pooling.md). Named unless told otherwise.
 */
export function usePreparedStatements(dataSource: DataSource, named: boolean): void {
  if (named) unnamed.delete(dataSource);
  else unnamed.add(dataSource);
}

/** Runs `statement` on the connection (and so in the transaction) of `runner`. */
export async function runPrepared<R>(
  runner: QueryRunner,
  statement: PreparedStatement,
  values: unknown[],
): Promise<R[]> {
  const client = (await runner.connect()) as pg.PoolClient;
  const name = unnamed.has(runner.connection) ? undefined : statement.name;
  const result = await client.query<R & pg.QueryResultRow>({ name, text: statement.text, values });
  return result.rows;
}

/** Runs `statement` on a pooled connection of its own, outside any transaction. */
export async function runPreparedOnPool<R>(
  dataSource: DataSource,
  statement: PreparedStatement,
  values: unknown[],
): Promise<R[]> {
  const runner = dataSource.createQueryRunner();
  try {
    return await runPrepared<R>(runner, statement, values);
  } finally {
    await runner.release();
  }
}
