import { isUUID } from 'class-validator';
import type { Envelope } from '../catalogue/event-contract.js';
import { prepared } from '../sql/prepared.js';

/**
 * Whether a delivery job may be trusted (docs/adr/0019-forged-jobs-and-pruning.md): Redis is not a
 * trust boundary, so a worker acts on a job's envelope only when it equals, field by field, the
 * event committed in `outbox_event` and a delivery of it to the job's subscriber exists in the
 * ledger. Both rows outlive every delivery that can still run: the ledger row stays until it has
 * been `handled` for the dedupe window (a `dead` one stays until replayed and handled), and the
 * archived event stays while any of its ledger rows does.
 *
 * The check rides on the statements that record the inbox row (RECORD_HANDLED, RECORD_HANDLED_ONE),
 * so a genuine delivery pays no extra round trip; {@link VERIFY_ENVELOPE} is for the rare paths
 * that decide before reaching them (an invalid payload).
 */

/**
 * SQL: true when the jsonb envelope `j` equals the archived event `e`. Compared as jsonb, so a
 * number sent as a string, an extra field's absence or a reordered payload key are judged as the
 * handler would see them; `occurredAt` as the millisecond ISO string `toEnvelope` produces.
 */
export function envelopeMatches(j: string, e: string): string {
  return `${j}->'type' = to_jsonb(${e}.type)
      AND ${j}->'version' = to_jsonb(${e}.version)
      AND ${j}->'aggregateType' = to_jsonb(${e}.aggregate_type)
      AND ${j}->'aggregateId' = to_jsonb(${e}.aggregate_id)
      AND ${j}->'aggregateSeq' = to_jsonb(${e}.aggregate_seq)
      AND ${j}->>'occurredAt' = to_char(${e}.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
      AND ${j}->'correlationId' = to_jsonb(${e}.correlation_id)
      AND coalesce(${j}->'causationId', 'null'::jsonb) = coalesce(to_jsonb(${e}.causation_id), 'null'::jsonb)
      AND ${j}->'payload' = ${e}.payload`;
}

/**
 * SQL: the archived event `e` when the job's envelope (`$3`, jsonb) matches it and the ledger has a
 * delivery of it to the subscriber (`$1`); `$2` is the event id. The one-job statements share it.
 */
export const GENUINE_EVENT = `SELECT e.id
     FROM outbox_event e
     JOIN outbox_delivery d ON d.event_id = e.id AND d.subscriber = $1::text
     CROSS JOIN (SELECT $3::jsonb AS envelope) j
     WHERE e.id = $2::uuid AND ${envelopeMatches('j.envelope', 'e')}`;

/** One row: whether the job is genuine, and whether its event is still waiting in the hot outbox table. */
export const VERIFY_ENVELOPE = prepared(
  'verify_envelope',
  `SELECT EXISTS (${GENUINE_EVENT}) AS genuine,
          EXISTS (SELECT 1 FROM outbox_message m WHERE m.id = $2::uuid) AS unrelayed`,
);

/**
 * Whether `value` has the envelope's shape, so that it can be compared with PostgreSQL at all
 * (an id that is not a UUID would make the comparison's cast fail, and the job be retried).
 */
export function isEnvelopeShaped(value: unknown): value is Envelope {
  if (typeof value !== 'object' || value === null) return false;
  const envelope = value as Partial<Record<keyof Envelope, unknown>>;
  return (
    typeof envelope.id === 'string' &&
    isUUID(envelope.id) &&
    typeof envelope.type === 'string' &&
    typeof envelope.version === 'number' &&
    typeof envelope.correlationId === 'string' &&
    typeof envelope.occurredAt === 'string'
  );
}

/**
 * A delivery job that does not match what PostgreSQL committed: injected or altered in Redis.
 * Dead-lettered with reason `forged` without running the handler, and never retried.
 */
export class ForgedJobError extends Error {
  override readonly name = 'ForgedJobError';
}
