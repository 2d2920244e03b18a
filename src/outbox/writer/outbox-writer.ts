import { Injectable } from '@nestjs/common';
import { EntityManager, type QueryRunner } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { currentCorrelation } from '../../platform/context/index.js';
import { EventCatalogue } from '../catalogue/event-catalogue.js';
import { assertValidPayload, type Envelope, type EventContract } from '../catalogue/event-contract.js';

/** An event to append: which contract, about which aggregate, with what payload. */
export interface NewEvent<P = unknown> {
  contract: EventContract<P>;
  aggregateId: string;
  payload: P;
}

/** `append` was called outside a database transaction: the event could commit without the change. */
export class OutboxTransactionRequiredError extends Error {
  constructor() {
    super("outbox append requires the caller's active transaction (EntityManager or QueryRunner)");
    this.name = 'OutboxTransactionRequiredError';
  }
}

/** The channel the relay LISTENs on. */
export const OUTBOX_CHANNEL = 'outbox_message';

/**
 * The only way an event leaves a module: appended with the caller's transaction, so the event
 * commits if and only if the state change does.
 */
@Injectable()
export class OutboxWriter {
  constructor(private readonly catalogue: EventCatalogue) {}

  /**
   * Validates and appends `events` in the transaction `tx`, returning their envelopes.
   * Ids are UUID v7; `aggregateSeq` is taken under a row lock per aggregate, so it follows commit
   * order; correlation and causation come from the current request or handler.
   * @throws OutboxTransactionRequiredError when `tx` has no active transaction.
   * @throws InvalidEventPayloadError when a payload breaks its contract.
   */
  async append(tx: EntityManager | QueryRunner, events: NewEvent | readonly NewEvent[]): Promise<Envelope[]> {
    const runner = tx instanceof EntityManager ? tx.queryRunner : tx;
    if (!runner?.isTransactionActive) throw new OutboxTransactionRequiredError();
    const list = Array.isArray(events) ? (events as readonly NewEvent[]) : [events as NewEvent];
    if (list.length === 0) return [];
    for (const event of list) {
      if (!this.catalogue.isRegistered(event.contract)) {
        throw new Error(`event ${event.contract.type} v${event.contract.version} is not registered in the catalogue`);
      }
      assertValidPayload(event.contract, event.payload);
    }

    const seqs = await this.reserveSequences(runner, list);
    const context = currentCorrelation();
    const correlationId = context?.correlationId ?? uuidv7();
    const occurredAt = new Date().toISOString();
    const envelopes: Envelope[] = list.map((event) => ({
      id: uuidv7(),
      type: event.contract.type,
      version: event.contract.version,
      aggregateType: event.contract.aggregateType,
      aggregateId: event.aggregateId,
      aggregateSeq: seqs.next(event.contract.aggregateType, event.aggregateId),
      occurredAt,
      correlationId,
      causationId: context?.causationId ?? null,
      payload: event.payload,
    }));

    await runner.query(
      `INSERT INTO outbox_message
         (id, type, version, aggregate_type, aggregate_id, aggregate_seq, occurred_at, correlation_id, causation_id, payload)
       SELECT id, type, version, aggregate_type, aggregate_id, aggregate_seq, occurred_at, correlation_id, causation_id, payload::jsonb
       FROM unnest($1::uuid[], $2::text[], $3::int[], $4::text[], $5::text[], $6::bigint[], $7::timestamptz[], $8::text[], $9::text[], $10::text[])
         AS t(id, type, version, aggregate_type, aggregate_id, aggregate_seq, occurred_at, correlation_id, causation_id, payload)`,
      [
        envelopes.map((e) => e.id),
        envelopes.map((e) => e.type),
        envelopes.map((e) => e.version),
        envelopes.map((e) => e.aggregateType),
        envelopes.map((e) => e.aggregateId),
        envelopes.map((e) => e.aggregateSeq),
        envelopes.map((e) => e.occurredAt),
        envelopes.map((e) => e.correlationId),
        envelopes.map((e) => e.causationId),
        envelopes.map((e) => JSON.stringify(e.payload)),
      ],
    );
    // NOTIFY takes a global lock at commit: send it once per transaction, however many appends.
    // A transaction-local setting remembers that this transaction has notified already.
    const [{ notified }] = await runner.query(`SELECT current_setting('outbox.notified', true) AS notified`);
    if (notified !== '1') {
      await runner.query(`SELECT set_config('outbox.notified', '1', true), pg_notify($1, '')`, [OUTBOX_CHANNEL]);
    }
    return envelopes;
  }

  /**
   * Reserves the next sequence numbers of every aggregate in `events`. The upsert keeps each
   * aggregate's row locked until commit, so numbers are handed out in commit order; keys are
   * locked in sorted order so concurrent appenders cannot deadlock on each other.
   */
  private async reserveSequences(runner: QueryRunner, events: readonly NewEvent[]) {
    const counts = new Map<string, { type: string; id: string; count: number }>();
    for (const event of events) {
      const key = JSON.stringify([event.contract.aggregateType, event.aggregateId]);
      const entry = counts.get(key) ?? { type: event.contract.aggregateType, id: event.aggregateId, count: 0 };
      entry.count += 1;
      counts.set(key, entry);
    }
    const keys = [...counts.values()].sort((a, b) => a.type.localeCompare(b.type) || a.id.localeCompare(b.id));
    const rows: Array<{ aggregate_type: string; aggregate_id: string; last_seq: string }> = await runner.query(
      `INSERT INTO outbox_aggregate_seq (aggregate_type, aggregate_id, last_seq)
       SELECT aggregate_type, aggregate_id, n
       FROM unnest($1::text[], $2::text[], $3::bigint[]) WITH ORDINALITY AS t(aggregate_type, aggregate_id, n, ord)
       ORDER BY ord
       ON CONFLICT (aggregate_type, aggregate_id) DO UPDATE SET last_seq = outbox_aggregate_seq.last_seq + EXCLUDED.last_seq
       RETURNING aggregate_type, aggregate_id, last_seq`,
      [keys.map((k) => k.type), keys.map((k) => k.id), keys.map((k) => k.count)],
    );
    const nextByKey = new Map<string, number>();
    for (const row of rows) {
      const key = JSON.stringify([row.aggregate_type, row.aggregate_id]);
      nextByKey.set(key, Number(row.last_seq) - counts.get(key)!.count + 1);
    }
    return {
      next(type: string, id: string): number {
        const key = JSON.stringify([type, id]);
        const seq = nextByKey.get(key)!;
        nextByKey.set(key, seq + 1);
        return seq;
      },
    };
  }
}
