import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The audit of bulk dead-letter replays (`POST /admin/dead-letters/replay`): who asked, when, with
 * which filter and cap, how many dead letters matched and how many were replayed. Written when the
 * replay starts and brought up to date after each batch, so a replay cut short by a crash still
 * shows what it did (`finished_at` null). Listed by `GET /admin/dead-letters/replays`, newest first.
 */
export class OutboxDeadLetterReplays1795200002100 implements MigrationInterface {
  name = 'OutboxDeadLetterReplays1795200002100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE outbox_dead_letter_replay (
        id uuid PRIMARY KEY,
        requested_by text NOT NULL,
        requested_at timestamptz NOT NULL DEFAULT now(),
        filter jsonb NOT NULL,
        replay_all boolean NOT NULL,
        replay_limit integer NOT NULL CHECK (replay_limit > 0),
        matched integer NOT NULL CHECK (matched >= 0),
        replayed integer NOT NULL DEFAULT 0 CHECK (replayed >= 0),
        finished_at timestamptz
      )`);
    await q.query(
      `CREATE INDEX outbox_dead_letter_replay_requested_idx ON outbox_dead_letter_replay (requested_at DESC, id DESC)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE outbox_dead_letter_replay`);
  }
}
