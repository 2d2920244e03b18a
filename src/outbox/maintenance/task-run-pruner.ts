import { Inject, Injectable } from '@nestjs/common';
import { OUTBOX_OPTIONS, type OutboxOptions } from '../outbox-options.js';
import type { OutboxPruner } from '../ports.js';
import { ScheduledTasks } from './scheduled-tasks.js';

/** Deletes scheduled-run records (outbox_task_run) older than the outbox's dedupe window; `Pruning` runs it. */
@Injectable()
export class TaskRunPruner implements OutboxPruner {
  readonly name = 'task-runs';

  constructor(
    @Inject(OUTBOX_OPTIONS) private readonly config: OutboxOptions,
    private readonly tasks: ScheduledTasks,
  ) {}

  pruneBatch(limit: number): Promise<number> {
    const before = new Date(Date.now() - this.config.dedupeWindowHours * 3_600_000);
    return this.tasks.pruneRunRecords(before, limit);
  }
}
