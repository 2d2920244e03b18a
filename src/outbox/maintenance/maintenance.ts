import { Inject, Injectable } from '@nestjs/common';
import { OUTBOX_OPTIONS, type OutboxOptions } from '../outbox-options.js';
import { Retention } from './retention.js';
import { ScheduledTasks } from './scheduled-tasks.js';
import { Sweeper } from './sweeper.js';

/** Registers the outbox's own scheduled tasks: the sweeper and retention pruning. */
@Injectable()
export class Maintenance {
  constructor(
    @Inject(OUTBOX_OPTIONS) config: OutboxOptions,
    tasks: ScheduledTasks,
    sweeper: Sweeper,
    retention: Retention,
  ) {
    tasks.register({ name: 'outbox-sweep', everyMs: config.sweepIntervalMs, run: () => sweeper.sweep() });
    tasks.register({
      name: 'outbox-retention',
      everyMs: config.retentionIntervalMs,
      run: () => retention.prune(),
    });
  }
}
