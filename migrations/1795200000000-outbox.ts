import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The outbox's tables (docs/adr/0006-delivery-ledger-in-postgres.md):
 * - outbox_message: the hot table appends go to; rows leave it as soon as they are relayed.
 * - outbox_event: the relayed envelopes, for re-drives, replays and message journeys.
 * - outbox_delivery: one row per (event, subscriber) with its state; Postgres, not Redis, is the truth.
 * - outbox_inbox: (subscriber, event) rows committed with the handler's writes; the dedupe record.
 * - outbox_aggregate_seq / outbox_sequence: per-aggregate numbering and per-subscriber progress for ordering.
 * - outbox_dead_letter: deliveries that cannot succeed, kept for inspection and replay.
 */
export class Outbox1795200000000 implements MigrationInterface {
  name = 'Outbox1795200000000';

  async up(q: QueryRunner): Promise<void> {
    const envelopeColumns = `
      id uuid PRIMARY KEY,
      type text NOT NULL,
      version integer NOT NULL,
      aggregate_type text NOT NULL,
      aggregate_id text NOT NULL,
      aggregate_seq bigint NOT NULL,
      occurred_at timestamptz NOT NULL,
      correlation_id text NOT NULL,
      causation_id text,
      payload jsonb NOT NULL`;
    await q.query(`CREATE TABLE outbox_message (${envelopeColumns})`);
    await q.query(
      `CREATE INDEX outbox_message_aggregate_idx ON outbox_message (aggregate_type, aggregate_id, aggregate_seq)`,
    );
    await q.query(`CREATE TABLE outbox_event (${envelopeColumns}, relayed_at timestamptz NOT NULL DEFAULT now())`);
    await q.query(
      `CREATE INDEX outbox_event_aggregate_idx ON outbox_event (aggregate_type, aggregate_id, aggregate_seq)`,
    );
    await q.query(`CREATE INDEX outbox_event_correlation_idx ON outbox_event (correlation_id)`);
    await q.query(`CREATE INDEX outbox_event_causation_idx ON outbox_event (causation_id)`);
    await q.query(`CREATE INDEX outbox_event_relayed_at_idx ON outbox_event (relayed_at)`);

    await q.query(`
      CREATE TABLE outbox_aggregate_seq (
        aggregate_type text NOT NULL,
        aggregate_id text NOT NULL,
        last_seq bigint NOT NULL,
        PRIMARY KEY (aggregate_type, aggregate_id)
      )`);

    await q.query(`
      CREATE TABLE outbox_delivery (
        event_id uuid NOT NULL,
        subscriber text NOT NULL,
        lane text NOT NULL CHECK (lane IN ('critical', 'default', 'bulk')),
        state text NOT NULL CHECK (state IN ('pending', 'enqueued', 'handled', 'dead')),
        job_id text NOT NULL,
        attempts integer NOT NULL DEFAULT 0,
        last_error text,
        redrive_count integer NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        enqueued_at timestamptz,
        handled_at timestamptz,
        PRIMARY KEY (event_id, subscriber)
      )`);
    await q.query(
      `CREATE INDEX outbox_delivery_open_idx ON outbox_delivery (updated_at) WHERE state IN ('pending', 'enqueued')`,
    );
    await q.query(`CREATE INDEX outbox_delivery_handled_idx ON outbox_delivery (handled_at) WHERE state = 'handled'`);

    await q.query(`
      CREATE TABLE outbox_inbox (
        subscriber text NOT NULL,
        event_id uuid NOT NULL,
        handled_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (subscriber, event_id)
      )`);
    await q.query(`CREATE INDEX outbox_inbox_handled_at_idx ON outbox_inbox (handled_at)`);

    await q.query(`
      CREATE TABLE outbox_sequence (
        subscriber text NOT NULL,
        aggregate_type text NOT NULL,
        aggregate_id text NOT NULL,
        last_seq bigint NOT NULL,
        PRIMARY KEY (subscriber, aggregate_type, aggregate_id)
      )`);

    await q.query(`
      CREATE TABLE outbox_dead_letter (
        id uuid PRIMARY KEY,
        event_id uuid NOT NULL,
        subscriber text NOT NULL,
        type text NOT NULL,
        envelope jsonb NOT NULL,
        reason text NOT NULL CHECK (reason IN ('exhausted', 'non-retryable', 'sequence-gap')),
        error_class text NOT NULL,
        error_message text NOT NULL,
        attempts integer NOT NULL,
        first_failed_at timestamptz NOT NULL,
        last_failed_at timestamptz NOT NULL,
        status text NOT NULL CHECK (status IN ('dead', 'replayed')),
        replay_count integer NOT NULL DEFAULT 0,
        replayed_at timestamptz,
        UNIQUE (event_id, subscriber)
      )`);
    await q.query(`CREATE INDEX outbox_dead_letter_filter_idx ON outbox_dead_letter (status, subscriber, type)`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of [
      'outbox_dead_letter',
      'outbox_sequence',
      'outbox_inbox',
      'outbox_delivery',
      'outbox_aggregate_seq',
      'outbox_event',
      'outbox_message',
    ]) {
      await q.query(`DROP TABLE ${table}`);
    }
  }
}
