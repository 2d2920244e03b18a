import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { OUTBOX_OPTIONS, type OutboxOptions } from '../outbox-options.js';
import { EventCatalogue } from '../catalogue/event-catalogue.js';
import type { Envelope } from '../catalogue/event-contract.js';
import { type DeliveryToEnqueue, LaneQueues } from '../delivery/lane-queues.js';
import { OutboxMetrics } from '../metrics/outbox-metrics.js';
import { OUTBOX_PORTS, type OutboxPorts } from '../ports.js';
import { prepared, runPreparedOnPool } from '../sql/prepared.js';
import { startRelaySpans } from './relay-tracing.js';

/** Which outbox rows a claim takes: urgent (critical and default subscribers), bulk-only, or both. */
export type ClaimScope = 'urgent' | 'bulk' | 'all';

/** The envelope's columns, as outbox_message and outbox_event both store them. */
export const ENVELOPE_COLUMNS =
  'id, type, version, aggregate_type, aggregate_id, aggregate_seq, occurred_at, correlation_id, causation_id, payload, traceparent';

/**
 * Claims up to $1 urgent and $6 bulk-only rows (a limit of 0 claims none of that kind), deletes
 * them from the hot table, archives them and writes one `pending` delivery per subscriber whose
 * filter the payload passes ($7, null for none: `payload @> filter`, see `SubscriptionOptions.filter`).
 *
 * The relay's own statements commit with `synchronous_commit = off`: they do not wait for their WAL
 * flush, which under a flood of bulk appends is the largest part of a critical delivery's wait. The
 * next synchronous commit (a handler's, an append's) flushes them, and the WAL writer within
 * `3 × wal_writer_delay`. If PostgreSQL itself crashes before that, the claim is undone: the rows are
 * back in the outbox and are relayed again with the same job ids, the inbox absorbs a delivery that
 * was already handled, and a duplicate delivery marks its ledger row `handled` (delivery-processor.ts).
 */
const CLAIM = prepared(
  'claim',
  `WITH urgent AS (
     SELECT id FROM outbox_message WHERE priority < 2 ORDER BY priority, id LIMIT $1 FOR UPDATE SKIP LOCKED
   ), bulk AS (
     SELECT id FROM outbox_message WHERE priority >= 2 ORDER BY priority, id LIMIT $6 FOR UPDATE SKIP LOCKED
   ), claimed AS (
     -- = ANY(ARRAY(...)) keeps this an index lookup per claimed id whatever the planner thinks the
     -- claim returns; a join here became a sequential scan of the whole backlog under a generic plan.
     DELETE FROM outbox_message
     WHERE id = ANY (ARRAY(SELECT id FROM urgent UNION ALL SELECT id FROM bulk))
     RETURNING ${ENVELOPE_COLUMNS}
   ), archived AS (
     INSERT INTO outbox_event (${ENVELOPE_COLUMNS})
     SELECT ${ENVELOPE_COLUMNS} FROM claimed
     ON CONFLICT (id) DO NOTHING
   ), deliveries AS (
     INSERT INTO outbox_delivery (event_id, subscriber, lane, state, job_id)
     SELECT c.id, r.subscriber, r.lane, 'pending', c.id || '-' || r.subscriber
     FROM claimed c
     JOIN unnest($2::text[], $3::int[], $4::text[], $5::text[], $7::jsonb[]) AS r(type, version, subscriber, lane, filter)
       ON r.type = c.type AND r.version = c.version AND (r.filter IS NULL OR c.payload @> r.filter)
     ON CONFLICT DO NOTHING
     RETURNING event_id, subscriber, job_id
   ), relay_commit AS (
     SELECT set_config('synchronous_commit', 'off', true)
   )
   SELECT c.id, c.type, c.version, c.aggregate_type, c.aggregate_id, c.aggregate_seq, c.occurred_at,
          c.correlation_id, c.causation_id, c.payload, c.traceparent, d.subscriber, d.job_id
   FROM claimed c LEFT JOIN deliveries d ON d.event_id = c.id CROSS JOIN relay_commit`,
);

/**
 * The relay's step 3 and a worker's mark race: a worker can handle (or dead-letter) a job before the
 * relay's `enqueued` mark lands. The mark only moves `pending` rows, so it never regresses a row a
 * worker finished; and every worker mark sets `enqueued_at` with this expression, since a worker
 * only ever sees a job that was in a queue: the relay's time when its mark came first, else the
 * worker's transaction time (the job was enqueued by then at the latest). LEAST ignores NULL.
 * Whatever the order, a finished delivery has `enqueued_at <= handled_at`
 * (docs/adr/0029-enqueued-mark-races-the-worker.md).
 */
export const ENQUEUED_BY_NOW = 'LEAST(d.enqueued_at, now())';

const MARK_ENQUEUED = prepared(
  'mark_enqueued',
  `WITH marked AS (
     UPDATE outbox_delivery d SET state = 'enqueued', enqueued_at = now(), updated_at = now()
     FROM unnest($1::uuid[], $2::text[]) AS k(event_id, subscriber)
     WHERE d.event_id = k.event_id AND d.subscriber = k.subscriber AND d.state = 'pending'
   )
   SELECT set_config('synchronous_commit', 'off', true)`,
);

/** An envelope as stored in outbox_message / outbox_event, plus one subscriber from the claim. */
export interface ClaimedRow {
  id: string;
  type: string;
  version: number;
  aggregate_type: string;
  aggregate_id: string;
  aggregate_seq: string;
  occurred_at: Date;
  correlation_id: string;
  causation_id: string | null;
  payload: unknown;
  traceparent?: string | null;
  subscriber: string;
}

export function toEnvelope(row: Omit<ClaimedRow, 'subscriber'>): Envelope {
  return {
    id: row.id,
    type: row.type,
    version: row.version,
    aggregateType: row.aggregate_type,
    aggregateId: row.aggregate_id,
    aggregateSeq: Number(row.aggregate_seq),
    occurredAt: row.occurred_at.toISOString(),
    correlationId: row.correlation_id,
    causationId: row.causation_id,
    payload: row.payload,
    // Only while tracing is on (null otherwise, and absent from rows read without the column).
    ...(row.traceparent ? { traceparent: row.traceparent } : {}),
  };
}

/**
 * Moves committed outbox rows into the delivery ledger and enqueues them (docs/adr/0006-delivery-ledger-in-postgres.md).
 * Step 1, one statement: claim a batch with FOR UPDATE SKIP LOCKED (any number of relays; rows
 * of transactions not yet committed are simply not visible and are claimed later, never skipped
 * for good), delete it from the hot table, archive it and write one `pending` delivery per
 * subscriber. Step 2: `addBulk` per lane, job id from event and subscriber. Step 3: mark them
 * `enqueued`. A crash after step 1 leaves `pending` deliveries, which the sweeper re-drives.
 */
@Injectable()
export class Relay {
  private readonly routeTypes: string[] = [];
  private readonly routeVersions: number[] = [];
  private readonly routeSubscribers: string[] = [];
  private readonly routeLanes: string[] = [];
  private readonly routeFilters: (string | null)[] = [];

  constructor(
    @Inject(OUTBOX_OPTIONS) private readonly config: OutboxOptions,
    private readonly dataSource: DataSource,
    private readonly catalogue: EventCatalogue,
    private readonly queues: LaneQueues,
    private readonly metrics: OutboxMetrics,
    @Inject(OUTBOX_PORTS) private readonly ports: OutboxPorts,
  ) {
    // Live subscribers only (a retired one drains the deliveries it had), and each earlier version of
    // a subscribed event that upcasts to it (docs/adr/0045-event-upcasters.md).
    for (const { stored, subscription } of catalogue.routes()) {
      this.routeTypes.push(stored.type);
      this.routeVersions.push(stored.version);
      this.routeSubscribers.push(subscription.name);
      this.routeLanes.push(subscription.lane);
      this.routeFilters.push(subscription.filter === null ? null : JSON.stringify(subscription.filter));
    }
  }

  /**
   * Relays one batch of `scope`; returns how many outbox rows it claimed (0 when there are none).
   * The relay loop drains `urgent` (critical and default rows) and `bulk` rows separately, so an
   * urgent row never waits behind a bulk batch in flight.
   */
  async relayBatch(scope: ClaimScope = 'all'): Promise<number> {
    const stopTimer = this.metrics.relayBatchSeconds.startTimer();
    const { claimed, deliveries } = await this.claim(scope);
    if (claimed === 0) return 0;
    const spans = startRelaySpans(this.ports.tracing, deliveries);
    try {
      await this.queues.enqueue(deliveries);
      await this.markEnqueued(deliveries);
    } catch (error) {
      spans?.failed(error);
      throw error;
    } finally {
      spans?.end();
    }
    stopTimer();
    this.metrics.relayed.inc(claimed);
    this.metrics.relayBatchSize.observe(claimed);
    return claimed;
  }

  /** Step 1 alone (exposed for fault tests that stop a relay between its steps). */
  async claim(scope: ClaimScope = 'all'): Promise<{ claimed: number; deliveries: DeliveryToEnqueue[] }> {
    const { relayBatchSize, relayBulkBatchSize } = this.config;
    const rows = await runPreparedOnPool<
      Omit<ClaimedRow, 'subscriber'> & { subscriber: string | null; job_id: string | null }
    >(this.dataSource, CLAIM, [
      scope === 'bulk' ? 0 : relayBatchSize,
      this.routeTypes,
      this.routeVersions,
      this.routeSubscribers,
      this.routeLanes,
      scope === 'urgent' ? 0 : relayBulkBatchSize,
      this.routeFilters,
    ]);
    const claimedCount = new Set(rows.map((row) => row.id)).size;
    const deliveries = rows.flatMap((row) =>
      row.subscriber === null
        ? []
        : [
            {
              subscription: this.catalogue.subscription(row.subscriber)!,
              envelope: toEnvelope(row),
              // The id stored in the ledger, which the sweeper looks up later.
              jobId: row.job_id!,
            },
          ],
    );
    return { claimed: claimedCount, deliveries };
  }

  /** Step 3 alone. */
  async markEnqueued(deliveries: readonly DeliveryToEnqueue[]): Promise<void> {
    if (deliveries.length === 0) return;
    await runPreparedOnPool(this.dataSource, MARK_ENQUEUED, [
      deliveries.map((d) => d.envelope.id),
      deliveries.map((d) => d.subscription.name),
    ]);
  }
}
