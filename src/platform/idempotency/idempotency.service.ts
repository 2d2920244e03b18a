import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../../config/index.js';
import { requestFingerprint } from './canonical-json.js';
import { parseIdempotencyKey } from './idempotency-key.js';
import { IdempotencyKeyInUseProblem, idempotencyKeyReused } from './idempotency.problems.js';

/** One request that carries an idempotency key. {@link IdempotentRequest} builds it from an HTTP request. */
export interface IdempotencyRequest {
  /**
   * Whose key it is: the authenticated principal's roles and `sub` (`principalScope`), so the same
   * subject under other roles has other keys. Keys of different scopes never meet.
   */
  scope: string;
  /** The raw `Idempotency-Key` header value; validated by {@link IdempotencyService.execute}. */
  key: string | undefined;
  /** HTTP method; part of the fingerprint. */
  method: string;
  /** Request path without the query string; part of the fingerprint. */
  path: string;
  /** The request body as received; its canonical JSON is part of the fingerprint. */
  body: unknown;
}

/** What a command answers: an HTTP status and a JSON body. */
export interface IdempotentResponse<T> {
  status: number;
  body: T;
}

/** The answer to a keyed request: the command's own, or the stored first answer (`replayed`). */
export interface IdempotentResult<T> extends IdempotentResponse<T> {
  replayed: boolean;
}

/**
 * The work a keyed request does. Every write, outbox appends included, must go through `tx`: it
 * commits together with the key record, or not at all.
 */
export type IdempotentCommand<T> = (tx: EntityManager) => Promise<IdempotentResponse<T>>;

/** How long a request waits for another one holding the same key before answering 409. */
const CLAIM_LOCK_TIMEOUT = '100ms';
/** Rounds of insert / read / take-over before giving up with 409 (each loses only to a concurrent writer). */
const CLAIM_ATTEMPTS = 3;
/** SQLSTATE lock_not_available: the lock timeout ran out. */
const LOCK_NOT_AVAILABLE = '55P03';

/**
 * Claims a key nobody holds, in one statement: $1 lock timeout, $2 scope, $3 key, $4 fingerprint,
 * $5 TTL in hours. Every request takes a transaction-level advisory lock on its (scope, key) first,
 * under lock_timeout $1 (`bounded`), so a second request with the key waits for the first one's
 * transaction to end, at most that long. The timeout is then put back (`restored`) before the
 * INSERT runs: the insert's own waits (a relation extension under load, say) are ordinary waits,
 * never mistaken for a holder of the key. Once the lock is ours no request holds the key, so ON
 * CONFLICT meets only a committed row: an answer to replay, or an expired key to take over.
 */
const CLAIM_NEW_KEY = `WITH previous AS MATERIALIZED (SELECT current_setting('lock_timeout') AS value),
     bounded AS MATERIALIZED (SELECT value, set_config('lock_timeout', $1, true) FROM previous),
     held AS MATERIALIZED (
       SELECT b.value FROM bounded b,
       LATERAL (SELECT pg_advisory_xact_lock(hashtextextended('idempotency-key ' || $2 || ' ' || $3, 0))) l
     ),
     restored AS MATERIALIZED (SELECT set_config('lock_timeout', value, true) AS value FROM held),
     claim AS (
       INSERT INTO platform_idempotency_key (scope, key, fingerprint, status, created_at, expires_at)
       SELECT $2, $3, $4, 'in_flight', now(), now() + $5 * interval '1 hour' FROM restored
       ON CONFLICT (scope, key) DO NOTHING
       RETURNING 1
     )
   SELECT count(*)::int AS claimed FROM claim`;

/**
 * Takes over an expired key in place: $1 scope, $2 key, $3 fingerprint, $4 TTL in hours. It runs
 * under the key's advisory lock, so only the pruner can hold the row, and only briefly.
 */
const CLAIM_EXPIRED_KEY = `WITH claim AS (
     UPDATE platform_idempotency_key
     SET fingerprint = $3, status = 'in_flight', response_status = NULL, response_body = NULL,
         created_at = now(), expires_at = now() + $4 * interval '1 hour'
     WHERE scope = $1 AND key = $2 AND expires_at <= now()
     RETURNING 1
   )
   SELECT count(*)::int AS claimed FROM claim`;

type Claim = { kind: 'claimed' } | { kind: 'replay'; status: number; body: unknown };

interface KeyRow {
  fingerprint: string;
  status: 'in_flight' | 'completed';
  response_status: number | null;
  response_body: string | null;
  expired: boolean;
}

/** Carries a 5xx answer out of the transaction callback, so that the transaction rolls back. */
class RolledBack extends Error {
  constructor(readonly response: IdempotentResponse<unknown>) {
    super(`idempotent command answered ${response.status}; rolled back`);
  }
}

/**
 * `Idempotency-Key` handling (`API.md`, "Idempotency-Key"; docs/adr/0010-idempotency-keys.md).
 *
 * A keyed request runs its command in one READ COMMITTED transaction that first claims the
 * (scope, key) row of `platform_idempotency_key` and, after the command, stores the answer in it.
 * The key record, the command's effects and its outbox rows therefore commit together or not at
 * all. The same key with the same fingerprint (method, path, canonical body) later gets the stored
 * answer again; another fingerprint gets 422; a key whose first request is still running gets 409.
 */
@Injectable()
export class IdempotencyService {
  private readonly ttlHours: number;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.ttlHours = config.idempotencyTtlHours;
  }

  /**
   * Runs `command` once per (scope, key) and fingerprint, within `IDEMPOTENCY_TTL_HOURS`.
   *
   * - First use of the key (or use after it expired): runs `command` with the transaction and
   *   stores its status and body with the key, in that transaction; `replayed: false`.
   * - Same key and fingerprint again: the stored status and body, `replayed: true`; `command` is
   *   not called.
   * - A `command` that throws, or answers a 5xx, leaves nothing behind: the transaction rolls back,
   *   the key stays unused, and the error is rethrown (or the 5xx answer returned, not replayed).
   *   A 4xx the command returns (rather than throws) is stored and replayed like any answer.
   *
   * @throws ProblemException 400 `idempotency-key-required` / `idempotency-key-invalid` for a missing
   *   or malformed key, 422 `idempotency-key-reused` for a known key with another fingerprint,
   *   409 `idempotency-key-in-use` (with `Retry-After`, see {@link IdempotencyModule}) while another
   *   request with the key is in flight.
   */
  async execute<T>(request: IdempotencyRequest, command: IdempotentCommand<T>): Promise<IdempotentResult<T>> {
    const key = parseIdempotencyKey(request.key);
    const fingerprint = requestFingerprint(request);
    try {
      // READ COMMITTED is every app connection's default (src/database/typeorm-options.ts), so the
      // BEGIN needs no `SET TRANSACTION ISOLATION LEVEL` round trip of its own.
      return await this.dataSource.transaction(async (tx): Promise<IdempotentResult<T>> => {
        const claim = await this.claim(tx, request.scope, key, fingerprint);
        if (claim.kind === 'replay') return { status: claim.status, body: claim.body as T, replayed: true };
        const response = await command(tx);
        assertStatus(response.status);
        if (response.status >= 500) throw new RolledBack(response);
        await this.complete(tx, request.scope, key, response);
        return { status: response.status, body: response.body, replayed: false };
      });
    } catch (error) {
      if (error instanceof RolledBack) return { ...(error.response as IdempotentResponse<T>), replayed: false };
      throw error;
    }
  }

  /**
   * Deletes at most `batch` expired keys, oldest first, skipping rows a request holds right now;
   * returns how many went. Expired keys are harmless (a request replaces its own), this only
   * bounds the table. Call it repeatedly until it returns less than `batch`.
   */
  async pruneExpired(batch = 1000): Promise<number> {
    if (!Number.isInteger(batch) || batch < 1) throw new RangeError('batch must be a positive integer');
    const [, deleted]: [unknown, number] = await this.dataSource.query(
      `WITH expired AS (
         SELECT scope, key FROM platform_idempotency_key
         WHERE expires_at <= now()
         ORDER BY expires_at
         LIMIT $1
         FOR UPDATE SKIP LOCKED
       )
       DELETE FROM platform_idempotency_key k USING expired e
       WHERE k.scope = e.scope AND k.key = e.key`,
      [batch],
    );
    return deleted;
  }

  /**
   * Claims the key for this transaction, or finds the answer to replay. A concurrent request with
   * the same key holds the key's advisory lock until its transaction ends; we wait for it at most
   * {@link CLAIM_LOCK_TIMEOUT}: if it commits we replay its answer, if it rolls back we claim the
   * key, if it is still running we answer 409. No other wait can answer 409.
   */
  private async claim(tx: EntityManager, scope: string, key: string, fingerprint: string): Promise<Claim> {
    try {
      return await this.claimOrRead(tx, scope, key, fingerprint);
    } catch (error) {
      // The transaction is aborted now; it rolls back having done nothing.
      if (isLockTimeout(error)) throw new IdempotencyKeyInUseProblem();
      throw error;
    }
  }

  private async claimOrRead(tx: EntityManager, scope: string, key: string, fingerprint: string): Promise<Claim> {
    for (let attempt = 0; attempt < CLAIM_ATTEMPTS; attempt += 1) {
      const [{ claimed: inserted }]: Array<{ claimed: number }> = await tx.query(CLAIM_NEW_KEY, [
        CLAIM_LOCK_TIMEOUT,
        scope,
        key,
        fingerprint,
        this.ttlHours,
      ]);
      if (inserted > 0) return { kind: 'claimed' };

      // READ COMMITTED: this statement's snapshot sees the row whose commit the insert waited for.
      const [row]: KeyRow[] = await tx.query(
        `SELECT fingerprint, status, response_status, response_body::text AS response_body,
                expires_at <= now() AS expired
         FROM platform_idempotency_key WHERE scope = $1 AND key = $2`,
        [scope, key],
      );
      if (row === undefined) continue; // pruned between the two statements: insert again

      if (row.expired) {
        // The key is new again: take the row over in place; if the pruner deleted it, insert again.
        const [{ claimed: updated }]: Array<{ claimed: number }> = await tx.query(CLAIM_EXPIRED_KEY, [
          scope,
          key,
          fingerprint,
          this.ttlHours,
        ]);
        if (updated === 1) return { kind: 'claimed' };
        continue;
      }
      // Rows are only committed as `completed`; `in_flight` here would be a foreign writer's.
      if (row.status !== 'completed' || row.response_status === null) throw new IdempotencyKeyInUseProblem();
      if (row.fingerprint !== fingerprint) throw idempotencyKeyReused();
      return {
        kind: 'replay',
        status: row.response_status,
        body: row.response_body === null ? undefined : JSON.parse(row.response_body),
      };
    }
    throw new IdempotencyKeyInUseProblem();
  }

  private async complete(
    tx: EntityManager,
    scope: string,
    key: string,
    response: IdempotentResponse<unknown>,
  ): Promise<void> {
    const body = response.body === undefined ? null : JSON.stringify(response.body);
    const [, updated]: [unknown, number] = await tx.query(
      `UPDATE platform_idempotency_key
       SET status = 'completed', response_status = $3, response_body = $4::jsonb
       WHERE scope = $1 AND key = $2 AND status = 'in_flight'`,
      [scope, key, response.status, body],
    );
    // We hold the row since the claim; anything else is a bug, and rolling back is the safe answer.
    if (updated !== 1) throw new Error(`idempotency key row lost before completion (updated ${updated})`);
  }
}

function assertStatus(status: number): void {
  if (!Number.isInteger(status) || status < 100 || status > 599) {
    throw new Error(`idempotent command answered an invalid HTTP status: ${status}`);
  }
}

function isLockTimeout(error: unknown): boolean {
  const candidate = error as { code?: unknown; driverError?: { code?: unknown } } | null;
  return candidate?.code === LOCK_NOT_AVAILABLE || candidate?.driverError?.code === LOCK_NOT_AVAILABLE;
}
