import type { Logger } from '@nestjs/common';
import pg from 'pg';

/**
 * A pg pool of the outbox's own whose lost connections are never fatal. A connection the server ends
 * (`pg_terminate_backend`, a restart) emits `error`; with no listener Node ends the process. Idle ones
 * report to the pool; every connection also gets a listener of its own from birth, for one checked
 * out between queries (a LISTEN client, an advisory-lock session) and for an error that arrives in
 * the same read as the connection's ready message, before its user could attach one. A query in
 * flight still rejects with the error.
 */
export function sessionPool(config: pg.PoolConfig, logger: Logger, what: string): pg.Pool {
  const pool = new pg.Pool(config);
  pool.on('error', (error) => logger.warn(`${what} connection lost: ${error.message}`));
  pool.on('connect', (client) => client.on('error', (error) => logger.debug(`${what} connection: ${error.message}`)));
  return pool;
}
