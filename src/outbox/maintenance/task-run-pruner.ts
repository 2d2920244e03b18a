import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/index.js';
import { Pruner } from '../../platform/pruning/index.js';
import { ScheduledTasks } from './scheduled-tasks.js';

/** Deletes scheduled-run records (outbox_task_run) older than the outbox's dedupe window. */
@Pruner()
@Injectable()
export class TaskRunPruner implements Pruner {
  readonly name = 'task-runs';

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly tasks: ScheduledTasks,
  ) {}

  pruneBatch(limit: number): Promise<number> {
    const before = new Date(Date.now() - this.config.outbox.dedupeWindowHours * 3_600_000);
    return this.tasks.pruneRunRecords(before, limit);
  }
}
