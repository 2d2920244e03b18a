import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/index.js';
import { Retention } from './retention.js';
import { ScheduledTasks } from './scheduled-tasks.js';
import { Sweeper } from './sweeper.js';

/** Registers the outbox's own scheduled tasks: the sweeper and retention pruning. */
@Injectable()
export class Maintenance {
  constructor(@Inject(APP_CONFIG) config: AppConfig, tasks: ScheduledTasks, sweeper: Sweeper, retention: Retention) {
    tasks.register({ name: 'outbox-sweep', everyMs: config.outbox.sweepIntervalMs, run: () => sweeper.sweep() });
    tasks.register({
      name: 'outbox-retention',
      everyMs: config.outbox.retentionIntervalMs,
      run: () => retention.prune(),
    });
  }
}
