import { Inject, Injectable } from '@nestjs/common';
import { EntityManager, type QueryRunner } from 'typeorm';
import { setImmediate } from 'node:timers/promises';
import { v7 as uuidv7 } from 'uuid';
import { SpanKind } from '@opentelemetry/api';
import { EventCatalogue, LANE_PRIORITY } from '../catalogue/event-catalogue.js';
import { assertValidPayload, type Envelope, type EventContract } from '../catalogue/event-contract.js';
import { RelaySignal } from '../relay/relay-signal.js';
import { OUTBOX_PORTS, type OutboxPorts } from '../ports.js';
import { prepared, runPrepared } from '../sql/prepared.js';

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

/** Events validated between two turns of the event loop in a large append. */
const VALIDATION_SLICE = 50;

/**
 * One round trip: reserve each aggregate's next numbers (the upsert keeps the aggregate's row locked
 * until commit, so numbers follow commit order; keys are locked in sorted order so appenders cannot
 * deadlock each other) and insert the rows. No NOTIFY here: it would queue every appending commit on
 * NOTIFY's global lock; RelaySignal wakes the relays after the commit instead.
 */
export const APPEND = prepared(
  'append',
  `WITH input AS (
     SELECT * FROM unnest($1::uuid[], $2::text[], $3::int[], $4::text[], $5::text[], $6::timestamptz[],
                          $7::text[], $8::text[], $9::text[], $10::smallint[], $11::text[])
       WITH ORDINALITY AS t(id, type, version, aggregate_type, aggregate_id, occurred_at,
                            correlation_id, causation_id, payload, priority, traceparent, ord)
   ), counts AS (
     SELECT aggregate_type, aggregate_id, count(*) AS n FROM input GROUP BY aggregate_type, aggregate_id
   ), reserved AS (
     INSERT INTO outbox_aggregate_seq (aggregate_type, aggregate_id, last_seq)
     SELECT aggregate_type, aggregate_id, n FROM counts ORDER BY aggregate_type, aggregate_id
     ON CONFLICT (aggregate_type, aggregate_id) DO UPDATE SET last_seq = outbox_aggregate_seq.last_seq + EXCLUDED.last_seq
     RETURNING aggregate_type, aggregate_id, last_seq
   )
   INSERT INTO outbox_message
     (id, type, version, aggregate_type, aggregate_id, aggregate_seq, occurred_at, correlation_id, causation_id, payload, priority, traceparent)
   SELECT i.id, i.type, i.version, i.aggregate_type, i.aggregate_id,
          r.last_seq - c.n + row_number() OVER (PARTITION BY i.aggregate_type, i.aggregate_id ORDER BY i.ord),
          i.occurred_at, i.correlation_id, i.causation_id, i.payload::jsonb, i.priority, i.traceparent
   FROM input i
   JOIN counts c USING (aggregate_type, aggregate_id)
   JOIN reserved r USING (aggregate_type, aggregate_id)
   RETURNING id, aggregate_seq`,
);

/**
 * APPEND for the common case of one event: the same upsert and insert with scalar parameters, so
 * PostgreSQL runs no unnest, grouping or window for it (about 0.1 ms less per event on the benchmark
 * machine, bench/hot-statements.bench.ts, which is why both statements are exported; the outbox's
 * index does not export them).
 */
export const APPEND_ONE = prepared(
  'append_one',
  `WITH reserved AS (
     INSERT INTO outbox_aggregate_seq (aggregate_type, aggregate_id, last_seq)
     VALUES ($4::text, $5::text, 1)
     ON CONFLICT (aggregate_type, aggregate_id) DO UPDATE SET last_seq = outbox_aggregate_seq.last_seq + 1
     RETURNING last_seq
   )
   INSERT INTO outbox_message
     (id, type, version, aggregate_type, aggregate_id, aggregate_seq, occurred_at, correlation_id, causation_id, payload, priority, traceparent)
   SELECT $1::uuid, $2::text, $3::int, $4::text, $5::text, r.last_seq, $6::timestamptz, $7::text, $8::text, $9::jsonb, $10::smallint, $11::text
   FROM reserved r
   RETURNING id, aggregate_seq`,
);

/**
 * The only way an event leaves a module: appended with the caller's transaction, so the event
 * commits if and only if the state change does.
 */
@Injectable()
export class OutboxWriter {
  constructor(
    private readonly catalogue: EventCatalogue,
    private readonly signal: RelaySignal,
    @Inject(OUTBOX_PORTS) private readonly ports: OutboxPorts,
  ) {}

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
    for (const [i, event] of list.entries()) {
      // A large append validates in slices, so other requests and deliveries of this process are
      // not held up behind it (a 500-event append is several ms of synchronous validation).
      if (i > 0 && i % VALIDATION_SLICE === 0) await setImmediate();
      if (!this.catalogue.isRegistered(event.contract)) {
        throw new Error(`event ${event.contract.type} v${event.contract.version} is not registered in the catalogue`);
      }
      assertValidPayload(event.contract, event.payload);
    }

    const { tracing } = this.ports;
    if (!tracing.enabled()) return this.insert(runner, list);
    const span = tracing.startSpan(
      `outbox append ${list.length === 1 ? list[0].contract.type : `${list.length} events`}`,
      {
        kind: SpanKind.PRODUCER,
        attributes: { 'messaging.system': 'outbox', 'messaging.batch.message_count': list.length },
      },
    )!;
    try {
      const envelopes = await this.insert(runner, list, tracing.traceparentOf(span));
      span.setAttribute(
        'outbox.event_ids',
        envelopes.map((e) => e.id),
      );
      return envelopes;
    } catch (error) {
      tracing.failed(span, error);
      throw error;
    } finally {
      span.end();
    }
  }

  /** The append itself; `traceparent`, when tracing is on, is the append span's, stored with each event. */
  private async insert(runner: QueryRunner, list: readonly NewEvent[], traceparent?: string): Promise<Envelope[]> {
    const context = this.ports.context.current();
    const correlationId = context?.correlationId ?? uuidv7();
    const occurredAt = new Date().toISOString();
    const envelopes: Envelope[] = list.map((event) => ({
      id: uuidv7(),
      type: event.contract.type,
      version: event.contract.version,
      aggregateType: event.contract.aggregateType,
      aggregateId: event.aggregateId,
      aggregateSeq: 0, // assigned by the statement below
      occurredAt,
      correlationId,
      causationId: context?.causationId ?? null,
      payload: event.payload,
      ...(traceparent === undefined ? {} : { traceparent }),
    }));

    const priorities = list.map((event) => this.catalogue.claimPriority(event.contract));
    const columns = (e: Envelope, i: number) => [
      e.id,
      e.type,
      e.version,
      e.aggregateType,
      e.aggregateId,
      e.occurredAt,
      e.correlationId,
      e.causationId,
      JSON.stringify(e.payload),
      priorities[i],
      traceparent ?? null,
    ];
    const values = envelopes.map(columns);
    const rows = await runPrepared<{ id: string; aggregate_seq: string }>(
      runner,
      values.length === 1 ? APPEND_ONE : APPEND,
      // APPEND takes one array per column.
      values.length === 1 ? values[0] : values[0].map((_, column) => values.map((row) => row[column])),
    );
    this.signal.markAppended(
      runner,
      envelopes.filter((_, i) => priorities[i] === LANE_PRIORITY.critical).map((e) => e.id),
    );
    const seqById = new Map(rows.map((row) => [row.id, Number(row.aggregate_seq)]));
    for (const envelope of envelopes) envelope.aggregateSeq = seqById.get(envelope.id)!;
    return envelopes;
  }
}
