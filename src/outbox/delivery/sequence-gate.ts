import type { EntityManager } from 'typeorm';
import type { Envelope } from '../catalogue/event-contract.js';
import type { Subscription } from '../catalogue/subscription.js';

export type SequenceVerdict = 'proceed' | 'wait';

/**
 * Re-sequencing for ordered subscribers (docs/adr/0007-per-aggregate-ordering.md). Locks the subscriber's
 * progress row for the aggregate (serialising its handlers per aggregate), then lets the event
 * through only when no earlier event of that aggregate which this subscriber receives is still
 * unhandled. Sequence numbers follow commit order, so every earlier event is already either in
 * the outbox or in the archive. A dead-lettered predecessor frees the key.
 */
export async function checkSequence(
  tx: EntityManager,
  subscription: Subscription,
  event: Envelope,
): Promise<SequenceVerdict> {
  const key = [subscription.name, event.aggregateType, event.aggregateId];
  await tx.query(
    `INSERT INTO outbox_sequence (subscriber, aggregate_type, aggregate_id, last_seq) VALUES ($1, $2, $3, 0)
     ON CONFLICT DO NOTHING`,
    key,
  );
  const [{ last_seq }] = await tx.query(
    `SELECT last_seq FROM outbox_sequence WHERE subscriber = $1 AND aggregate_type = $2 AND aggregate_id = $3 FOR UPDATE`,
    key,
  );
  const last = Number(last_seq);
  if (event.aggregateSeq > last + 1) {
    const types = subscription.contracts.map((c) => c.type);
    const pending: unknown[] = await tx.query(
      `SELECT 1 FROM (
         SELECT id, type FROM outbox_event WHERE aggregate_type = $2 AND aggregate_id = $3 AND aggregate_seq > $4 AND aggregate_seq < $5
         UNION ALL
         SELECT id, type FROM outbox_message WHERE aggregate_type = $2 AND aggregate_id = $3 AND aggregate_seq > $4 AND aggregate_seq < $5
       ) earlier
       WHERE earlier.type = ANY($6)
         AND NOT EXISTS (SELECT 1 FROM outbox_inbox i WHERE i.subscriber = $1 AND i.event_id = earlier.id)
         AND NOT EXISTS (SELECT 1 FROM outbox_dead_letter d WHERE d.subscriber = $1 AND d.event_id = earlier.id AND d.status = 'dead')
       LIMIT 1`,
      [...key, last, event.aggregateSeq, types],
    );
    if (pending.length > 0) return 'wait';
  }
  await tx.query(
    `UPDATE outbox_sequence SET last_seq = GREATEST(last_seq, $4) WHERE subscriber = $1 AND aggregate_type = $2 AND aggregate_id = $3`,
    [...key, event.aggregateSeq],
  );
  return 'proceed';
}
