import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One row per scheduled run of a maintenance task (sweeper, retention, pruners, reconcilers) that
 * did its work: the job scheduler's slot it belongs to and the process that ran it. With several
 * scheduler processes, a slot must appear once (docs/scaling.md); kept for the outbox's dedupe
 * window, then pruned.
 */
export class OutboxTaskRuns1795200003300 implements MigrationInterface {
  name = 'OutboxTaskRuns1795200003300';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE outbox_task_run (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        task text NOT NULL,
        slot timestamptz NOT NULL,
        ran_by text NOT NULL,
        started_at timestamptz NOT NULL,
        finished_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX outbox_task_run_task_slot_idx ON outbox_task_run (task, slot)`);
    await q.query(`CREATE INDEX outbox_task_run_finished_idx ON outbox_task_run (finished_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE outbox_task_run`);
  }
}
