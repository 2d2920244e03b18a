import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Envelope } from '../catalogue/event-contract.js';
import { type ClaimedRow, ENVELOPE_COLUMNS, toEnvelope } from '../relay/relay.js';

/** One subscriber's delivery of an event, from the ledger (and its dead letter, if any). */
export interface JourneyDelivery {
  subscriber: string;
  lane: string;
  state: 'pending' | 'enqueued' | 'handled' | 'dead';
  attempts: number;
  redrives: number;
  enqueuedAt: string | null;
  handledAt: string | null;
  lastError: string | null;
  deadLetter: { id: string; reason: string; status: 'dead' | 'replayed'; replayCount: number } | null;
}

/** An event appended by a handler of the journey's event (its `causationId` is that event's id). */
export interface CausedEvent {
  id: string;
  type: string;
  version: number;
  occurredAt: string;
}

/**
 * What happened to one event (API.md, "Admin"; SPEC.md, "Observability"): its envelope; when the
 * relay took it from the outbox (`null` while it still waits there, when it has no ledger rows yet);
 * each subscriber's delivery; and the events its handlers appended.
 */
export interface MessageJourney {
  envelope: Envelope;
  relayedAt: string | null;
  deliveries: JourneyDelivery[];
  causedEvents: CausedEvent[];
}

type EnvelopeRow = Omit<ClaimedRow, 'subscriber'> & { relayed_at: Date | null };

/** Envelopes matching `where`, relayed (archive) or still waiting in the outbox; a claim moves a row in one statement. */
const envelopesWhere = (where: string) => `
  SELECT ${ENVELOPE_COLUMNS}, relayed_at FROM outbox_event WHERE ${where}
  UNION ALL
  SELECT ${ENVELOPE_COLUMNS}, NULL::timestamptz AS relayed_at FROM outbox_message WHERE ${where}`;

const iso = (value: Date | null): string | null => (value === null ? null : value.toISOString());

/** `rows` mapped by `toItem` and grouped by `key`, in their order. */
function groupBy<R, T>(rows: R[], key: (row: R) => string, toItem: (row: R) => T): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const row of rows) {
    const group = groups.get(key(row));
    if (group) group.push(toItem(row));
    else groups.set(key(row), [toItem(row)]);
  }
  return groups;
}

/** Reads message journeys for the admin API; read-only. */
@Injectable()
export class MessageJourneys {
  constructor(private readonly dataSource: DataSource) {}

  /** The journey of event `eventId`, or `undefined` if no such event is in the outbox or its archive. */
  async byEventId(eventId: string): Promise<MessageJourney | undefined> {
    const rows: EnvelopeRow[] = await this.dataSource.query(envelopesWhere('id = $1'), [eventId]);
    return (await this.complete(rows))[0];
  }

  /**
   * The journeys of the events of one correlation id (an HTTP request and everything it caused), oldest
   * first, `limit` of them from `offset`.
   */
  async byCorrelationId(correlationId: string, limit: number, offset: number): Promise<MessageJourney[]> {
    const rows: EnvelopeRow[] = await this.dataSource.query(
      `${envelopesWhere('correlation_id = $1')} ORDER BY occurred_at, id LIMIT $2 OFFSET $3`,
      [correlationId, limit, offset],
    );
    return this.complete(rows);
  }

  private async complete(rows: EnvelopeRow[]): Promise<MessageJourney[]> {
    if (rows.length === 0) return [];
    const ids = rows.map((row) => row.id);
    const [deliveries, caused] = await Promise.all([this.deliveries(ids), this.caused(ids)]);
    return rows.map((row) => ({
      envelope: toEnvelope(row),
      relayedAt: iso(row.relayed_at),
      deliveries: deliveries.get(row.id) ?? [],
      causedEvents: caused.get(row.id) ?? [],
    }));
  }

  private async deliveries(eventIds: string[]): Promise<Map<string, JourneyDelivery[]>> {
    const rows: Array<{
      event_id: string;
      subscriber: string;
      lane: string;
      state: JourneyDelivery['state'];
      attempts: number;
      redrive_count: number;
      enqueued_at: Date | null;
      handled_at: Date | null;
      last_error: string | null;
      dead_letter_id: string | null;
      reason: string | null;
      dead_letter_status: 'dead' | 'replayed' | null;
      replay_count: number | null;
    }> = await this.dataSource.query(
      // A row handled before the worker's mark recorded `enqueued_at` too (ADR 0029) has only its
      // handling time to say when, at the latest, its job was enqueued.
      `SELECT d.event_id, d.subscriber, d.lane, d.state, d.attempts, d.redrive_count,
              CASE WHEN d.state = 'handled' THEN coalesce(d.enqueued_at, d.handled_at) ELSE d.enqueued_at END AS enqueued_at,
              d.handled_at,
              d.last_error, l.id AS dead_letter_id, l.reason, l.status AS dead_letter_status, l.replay_count
       FROM outbox_delivery d
       LEFT JOIN outbox_dead_letter l ON l.event_id = d.event_id AND l.subscriber = d.subscriber
       WHERE d.event_id = ANY($1::uuid[])
       ORDER BY d.subscriber`,
      [eventIds],
    );
    return groupBy(
      rows,
      (row) => row.event_id,
      (row): JourneyDelivery => ({
        subscriber: row.subscriber,
        lane: row.lane,
        state: row.state,
        attempts: row.attempts,
        redrives: row.redrive_count,
        enqueuedAt: iso(row.enqueued_at),
        handledAt: iso(row.handled_at),
        lastError: row.last_error,
        deadLetter:
          row.dead_letter_id === null
            ? null
            : {
                id: row.dead_letter_id,
                reason: row.reason!,
                status: row.dead_letter_status!,
                replayCount: row.replay_count!,
              },
      }),
    );
  }

  private async caused(eventIds: string[]): Promise<Map<string, CausedEvent[]>> {
    const rows: Array<{ id: string; type: string; version: number; occurred_at: Date; causation_id: string }> =
      await this.dataSource.query(
        `SELECT id, type, version, occurred_at, causation_id FROM outbox_event WHERE causation_id = ANY($1::text[])
         UNION ALL
         SELECT id, type, version, occurred_at, causation_id FROM outbox_message WHERE causation_id = ANY($1::text[])
         ORDER BY occurred_at, id`,
        [eventIds],
      );
    return groupBy(
      rows,
      (row) => row.causation_id,
      (row): CausedEvent => ({
        id: row.id,
        type: row.type,
        version: row.version,
        occurredAt: row.occurred_at.toISOString(),
      }),
    );
  }
}
