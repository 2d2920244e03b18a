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

/** Runs `statement` on the connection (and so in the transaction) of `runner`. */
export async function runPrepared<R>(
  runner: QueryRunner,
  statement: PreparedStatement,
  values: unknown[],
): Promise<R[]> {
  const client = (await runner.connect()) as pg.PoolClient;
  const result = await client.query<R & pg.QueryResultRow>({ name: statement.name, text: statement.text, values });
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
