import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { EventCatalogue } from '../catalogue/event-catalogue.js';
import type { Envelope } from '../catalogue/event-contract.js';
import { deliveryJobId, LaneQueues } from '../delivery/lane-queues.js';
import { OutboxMetrics } from '../metrics/outbox-metrics.js';
import { ENQUEUED_BY_NOW } from '../relay/relay.js';

/** `forged`: the job did not match the event committed in PostgreSQL (docs/adr/0019-forged-jobs-and-pruning.md). */
export type DeadLetterReason = 'exhausted' | 'non-retryable' | 'sequence-gap' | 'forged';

/** A delivery that could not succeed, as admins see it. */
export interface DeadLetter {
  id: string;
  eventId: string;
  subscriber: string;
  type: string;
  envelope: Envelope;
  reason: DeadLetterReason;
  errorClass: string;
  errorMessage: string;
  attempts: number;
  firstFailedAt: string;
  lastFailedAt: string;
  status: 'dead' | 'replayed';
  replayCount: number;
  replayedAt: string | null;
}

/** Filters for listing and bulk replay; `error` matches a substring of the message or the class. */
export interface DeadLetterFilter {
  subscriber?: string;
  type?: string;
  error?: string;
  status?: 'dead' | 'replayed';
}

interface DeadLetterRow {
  id: string;
  event_id: string;
  subscriber: string;
  type: string;
  envelope: Envelope;
  reason: DeadLetterReason;
  error_class: string;
  error_message: string;
  attempts: number;
  first_failed_at: Date;
  last_failed_at: Date;
  status: 'dead' | 'replayed';
  replay_count: number;
  replayed_at: Date | null;
}

/** A bulk replay as recorded in the audit (`GET /admin/dead-letters/replays`). */
export interface DeadLetterReplay {
  id: string;
  /** The admin's subject (the bearer token's `sub`). */
  requestedBy: string;
  requestedAt: string;
  filter: Omit<DeadLetterFilter, 'status'>;
  all: boolean;
  limit: number;
  /** Dead letters matching the filter when the replay started. */
  matched: number;
  /** Of those, how many were replayed (at most `limit`); brought up to date after each batch. */
  replayed: number;
  /** Null while the replay runs, or if it was cut short. */
  finishedAt: string | null;
}

interface DeadLetterReplayRow {
  id: string;
  requested_by: string;
  requested_at: Date;
  filter: Omit<DeadLetterFilter, 'status'>;
  replay_all: boolean;
  replay_limit: number;
  matched: number;
  replayed: number;
  finished_at: Date | null;
}

/** What `POST /admin/dead-letters/replay` caps a bulk replay at when it names no `limit`, and the highest `limit` it takes. */
export const BULK_REPLAY_DEFAULT_LIMIT = 1000;
export const BULK_REPLAY_MAX_LIMIT = 10_000;

const MAX_ERROR_LENGTH = 2000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const REPLAY_BATCH = 500;

/** Records dead letters in Postgres and replays them with the same event id (the inbox still protects). */
@Injectable()
export class DeadLetters {
  constructor(
    private readonly dataSource: DataSource,
    private readonly queues: LaneQueues,
    private readonly catalogue: EventCatalogue,
    private readonly metrics: OutboxMetrics,
  ) {}

  /** Writes (or refreshes, after a replay failed again) the dead letter and marks the delivery dead. */
  async record(input: {
    envelope: Envelope;
    subscriber: string;
    reason: DeadLetterReason;
    error: unknown;
    attempts: number;
  }): Promise<void> {
    const error = input.error instanceof Error ? input.error : new Error(String(input.error));
    await this.dataSource.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO outbox_dead_letter
           (id, event_id, subscriber, type, envelope, reason, error_class, error_message, attempts, first_failed_at, last_failed_at, status)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, now(), now(), 'dead')
         ON CONFLICT (event_id, subscriber) DO UPDATE SET
           -- A forged copy may have been recorded first under the same key: keep the genuine envelope.
           envelope = CASE WHEN outbox_dead_letter.reason = 'forged' THEN EXCLUDED.envelope ELSE outbox_dead_letter.envelope END,
           reason = EXCLUDED.reason, error_class = EXCLUDED.error_class, error_message = EXCLUDED.error_message,
           attempts = outbox_dead_letter.attempts + EXCLUDED.attempts, last_failed_at = now(), status = 'dead'`,
        [
          uuidv7(),
          input.envelope.id,
          input.subscriber,
          input.envelope.type,
          JSON.stringify(input.envelope),
          input.reason,
          errorClass(error),
          error.message.slice(0, MAX_ERROR_LENGTH),
          input.attempts,
        ],
      );
      await tx.query(
        `UPDATE outbox_delivery d SET state = 'dead', attempts = attempts + 1, last_error = $3, updated_at = now(),
           enqueued_at = ${ENQUEUED_BY_NOW}
         WHERE event_id = $1 AND subscriber = $2 AND state <> 'handled'`,
        [input.envelope.id, input.subscriber, error.message.slice(0, MAX_ERROR_LENGTH)],
      );
    });
    this.metrics.deadLetters.inc({ subscriber: input.subscriber, reason: input.reason });
  }

  /**
   * Records a forged job (reason `forged`) as it arrived, leaving the delivery ledger alone: the
   * genuine delivery of the same event, if any, must neither be marked dead nor have its dead
   * letter overwritten. A job whose claimed id is not a UUID is stored under a generated one.
   */
  async recordForged(input: { envelope: unknown; subscriber: string; error: Error; attempts: number }): Promise<void> {
    const claimed = (typeof input.envelope === 'object' && input.envelope !== null ? input.envelope : {}) as Partial<
      Record<keyof Envelope, unknown>
    >;
    const eventId = typeof claimed.id === 'string' && UUID.test(claimed.id) ? claimed.id : uuidv7();
    const type = typeof claimed.type === 'string' ? claimed.type.slice(0, 200) : '(none)';
    await this.dataSource.query(
      `INSERT INTO outbox_dead_letter
         (id, event_id, subscriber, type, envelope, reason, error_class, error_message, attempts, first_failed_at, last_failed_at, status)
       VALUES ($1, $2, $3, $4, $5, 'forged', $6, $7, $8, now(), now(), 'dead')
       ON CONFLICT (event_id, subscriber) DO UPDATE SET
         attempts = outbox_dead_letter.attempts + EXCLUDED.attempts, last_failed_at = now(), status = 'dead'
       WHERE outbox_dead_letter.reason = 'forged'`,
      [
        uuidv7(),
        eventId,
        input.subscriber,
        type,
        JSON.stringify(input.envelope ?? null),
        errorClass(input.error),
        input.error.message.slice(0, MAX_ERROR_LENGTH),
        input.attempts,
      ],
    );
    this.metrics.deadLetters.inc({ subscriber: input.subscriber, reason: 'forged' });
  }

  async list(filter: DeadLetterFilter, limit = 50, offset = 0): Promise<DeadLetter[]> {
    const { where, params } = whereClause(filter);
    const rows: DeadLetterRow[] = await this.dataSource.query(
      `SELECT * FROM outbox_dead_letter ${where} ORDER BY last_failed_at DESC, id LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
      [...params, limit, offset],
    );
    return rows.map(toDeadLetter);
  }

  async get(id: string): Promise<DeadLetter | undefined> {
    const rows: DeadLetterRow[] = await this.dataSource.query(`SELECT * FROM outbox_dead_letter WHERE id = $1`, [id]);
    return rows[0] ? toDeadLetter(rows[0]) : undefined;
  }

  /** Replays one dead letter; returns how many were replayed (0 if it is unknown or not dead). */
  replayOne(id: string): Promise<number> {
    return this.replay(`WHERE id = $1 AND status = 'dead'`, [id]);
  }

  /**
   * Replays the dead letters matching `filter` (every one when it is empty: the caller checks that
   * this was asked for), oldest id first, at most `limit` of them, in batches; and records the
   * replay in the audit before the first batch, updating it after each. The ids are chosen up
   * front, so `replayed <= min(matched, limit)` even while new dead letters arrive; a letter
   * replayed meanwhile by someone else is not replayed twice.
   */
  async replayMatching(request: {
    filter: Omit<DeadLetterFilter, 'status'>;
    all: boolean;
    limit: number;
    requestedBy: string;
  }): Promise<{ replayId: string; matched: number; replayed: number }> {
    const filter = definedOnly(request.filter);
    const { where, params } = whereClause({ ...filter, status: 'dead' });
    const rows: Array<{ id: string; matched: number }> = await this.dataSource.query(
      `SELECT id, count(*) OVER ()::int AS matched FROM outbox_dead_letter ${where}
       ORDER BY id LIMIT $${params.length + 1}`,
      [...params, request.limit],
    );
    const matched = rows[0]?.matched ?? 0;
    const replayId = uuidv7();
    await this.dataSource.query(
      `INSERT INTO outbox_dead_letter_replay (id, requested_by, filter, replay_all, replay_limit, matched)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [replayId, request.requestedBy, JSON.stringify(filter), request.all, request.limit, matched],
    );
    const ids = rows.map((row) => row.id);
    let replayed = 0;
    for (let start = 0; start < ids.length; start += REPLAY_BATCH) {
      const batch = ids.slice(start, start + REPLAY_BATCH);
      const n = await this.replay(`WHERE id = ANY($1::uuid[]) AND status = 'dead'`, [batch], batch.length);
      replayed += n;
      await this.dataSource.query(`UPDATE outbox_dead_letter_replay SET replayed = replayed + $2 WHERE id = $1`, [
        replayId,
        n,
      ]);
    }
    await this.dataSource.query(`UPDATE outbox_dead_letter_replay SET finished_at = now() WHERE id = $1`, [replayId]);
    return { replayId, matched, replayed };
  }

  /** The bulk replays, newest first, `limit` from `offset`. */
  async replays(limit: number, offset: number): Promise<DeadLetterReplay[]> {
    const rows: DeadLetterReplayRow[] = await this.dataSource.query(
      `SELECT * FROM outbox_dead_letter_replay ORDER BY requested_at DESC, id DESC LIMIT $1 OFFSET $2`,
      [limit, offset],
    );
    return rows.map((row) => ({
      id: row.id,
      requestedBy: row.requested_by,
      requestedAt: row.requested_at.toISOString(),
      filter: row.filter,
      all: row.replay_all,
      limit: row.replay_limit,
      matched: row.matched,
      replayed: row.replayed,
      finishedAt: row.finished_at?.toISOString() ?? null,
    }));
  }

  /**
   * Marks the matching dead letters replayed and their deliveries enqueued, then enqueues them
   * under a fresh job id (the failed job keeps the old one, visible in Bull Board). If the process
   * dies before the jobs are added, the sweeper re-drives the deliveries from the ledger.
   */
  private async replay(where: string, params: unknown[], limit = 1): Promise<number> {
    const replayed = await this.dataSource.transaction(async (tx) => {
      // TypeORM answers an UPDATE … RETURNING on PostgreSQL with [rows, affected count].
      const [rows]: [DeadLetterRow[], number] = await tx.query(
        `UPDATE outbox_dead_letter SET status = 'replayed', replay_count = replay_count + 1, replayed_at = now()
         WHERE id IN (SELECT id FROM outbox_dead_letter ${where} ORDER BY id LIMIT ${limit} FOR UPDATE SKIP LOCKED)
         RETURNING *`,
        params,
      );
      for (const row of rows) await this.reopenDelivery(tx, row);
      return rows;
    });
    await this.queues.enqueue(
      replayed.flatMap((row) => {
        const subscription = this.catalogue.subscription(row.subscriber);
        return subscription ? [{ subscription, envelope: row.envelope, jobId: replayJobId(row) }] : [];
      }),
    );
    return replayed.length;
  }

  private async reopenDelivery(tx: EntityManager, row: DeadLetterRow): Promise<void> {
    await tx.query(
      `UPDATE outbox_delivery SET state = 'enqueued', job_id = $3, updated_at = now(), enqueued_at = now()
       WHERE event_id = $1 AND subscriber = $2 AND state = 'dead'`,
      [row.event_id, row.subscriber, replayJobId(row)],
    );
  }
}

/** `filter` without its absent (undefined or null) fields, as the audit stores it. */
function definedOnly<T extends object>(filter: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(filter).filter(([, value]) => value !== undefined && value !== null),
  ) as Partial<T>;
}

/** The error's class name, or its `name` when that says more (plain errors renamed by their thrower). */
function errorClass(error: Error): string {
  return error.name !== 'Error' ? error.name : error.constructor.name;
}

function replayJobId(row: Pick<DeadLetterRow, 'event_id' | 'subscriber' | 'replay_count'>): string {
  return `${deliveryJobId(row.event_id, row.subscriber)}-replay-${row.replay_count}`;
}

function whereClause(filter: DeadLetterFilter): { where: string; params: unknown[] } {
  const conditions: string[] = [];
  const params: unknown[] = [];
  const add = (sql: (n: number) => string, value: unknown) => {
    params.push(value);
    conditions.push(sql(params.length));
  };
  if (filter.status) add((n) => `status = $${n}`, filter.status);
  if (filter.subscriber) add((n) => `subscriber = $${n}`, filter.subscriber);
  if (filter.type) add((n) => `type = $${n}`, filter.type);
  if (filter.error) add((n) => `(strpos(error_message, $${n}) > 0 OR error_class = $${n})`, filter.error);
  return { where: conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '', params };
}

function toDeadLetter(row: DeadLetterRow): DeadLetter {
  return {
    id: row.id,
    eventId: row.event_id,
    subscriber: row.subscriber,
    type: row.type,
    envelope: row.envelope,
    reason: row.reason,
    errorClass: row.error_class,
    errorMessage: row.error_message,
    attempts: row.attempts,
    firstFailedAt: row.first_failed_at.toISOString(),
    lastFailedAt: row.last_failed_at.toISOString(),
    status: row.status,
    replayCount: row.replay_count,
    replayedAt: row.replayed_at?.toISOString() ?? null,
  };
}
