import type pg from 'pg';
import { type Envelope } from '../src/outbox/testing.js';

/**
 * Stores `envelopes` as the relay leaves them for a handler: archived in `outbox_event`, with an
 * `enqueued` ledger row for `subscriber` in `lane`. Shared by the benches of the delivery statements.
 */
export async function storeCommittedEvents(
  client: pg.Client,
  envelopes: Envelope[],
  subscriber: string,
  lane: 'critical' | 'default' | 'bulk',
): Promise<void> {
  await client.query(
    `INSERT INTO outbox_event (id, type, version, aggregate_type, aggregate_id, aggregate_seq, occurred_at, correlation_id, causation_id, payload)
     SELECT (e->>'id')::uuid, e->>'type', (e->>'version')::int, e->>'aggregateType', e->>'aggregateId', (e->>'aggregateSeq')::bigint,
            (e->>'occurredAt')::timestamptz, e->>'correlationId', e->>'causationId', e->'payload'
     FROM jsonb_array_elements($1::jsonb) AS t(e)`,
    [JSON.stringify(envelopes)],
  );
  await client.query(
    `INSERT INTO outbox_delivery (event_id, subscriber, lane, state, job_id)
     SELECT id, $2, $3, 'enqueued', id || '-' || $2 FROM unnest($1::uuid[]) AS t(id)`,
    [envelopes.map((e) => e.id), subscriber, lane],
  );
}
