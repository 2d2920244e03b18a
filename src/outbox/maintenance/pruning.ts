import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, Reflector } from '@nestjs/core';
import { OUTBOX_OPTIONS, type OutboxOptions } from '../outbox-options.js';
import { OutboxMetrics } from '../metrics/outbox-metrics.js';
import { OUTBOX_PORTS, type OutboxPorts, type OutboxPruner as Pruner } from '../ports.js';
import { ScheduledTasks } from './scheduled-tasks.js';
import { TaskRunPruner } from './task-run-pruner.js';

const NAME = /^[a-z0-9][a-z0-9-]{0,63}$/;

/** The scheduled task that runs `pruner`. */
export const pruneTaskName = (pruner: string) => `prune-${pruner}`;

/**
 * Finds every provider the host marked as a pruner at start (`ports.prunerMarker`: in this app
 * `@Pruner()`, the platform's and the modules', none of which know BullMQ), adds the outbox's own,
 * and registers each as the scheduled task `prune-<name>`. A run calls the pruner's
 * bounded `pruneBatch(PRUNE_BATCH_SIZE)` until a batch comes back short, counting rows and batches.
 */
@Injectable()
export class Pruning implements OnModuleInit {
  private readonly logger = new Logger(Pruning.name);
  private readonly pruners = new Map<string, Pruner>();

  constructor(
    @Inject(OUTBOX_OPTIONS) private readonly config: OutboxOptions,
    private readonly discovery: DiscoveryService,
    private readonly reflector: Reflector,
    private readonly tasks: ScheduledTasks,
    private readonly metrics: OutboxMetrics,
    @Inject(OUTBOX_PORTS) private readonly ports: OutboxPorts,
    private readonly taskRuns: TaskRunPruner,
  ) {}

  onModuleInit(): void {
    this.add(this.taskRuns, TaskRunPruner.name);
    const marker = this.ports.prunerMarker;
    if (marker === undefined) return;
    for (const { instance, metatype } of this.discovery.getProviders()) {
      if (!instance || !metatype || !this.reflector.get<boolean | undefined>(marker, metatype)) continue;
      this.add(instance as Pruner, metatype.name);
    }
  }

  private add(pruner: Pruner, className: string): void {
    if (typeof pruner.pruneBatch !== 'function') throw new Error(`pruner ${className} has no pruneBatch(limit)`);
    if (!NAME.test(pruner.name)) throw new Error(`pruner name "${pruner.name}" must match ${NAME}`);
    if (this.pruners.has(pruner.name)) throw new Error(`pruner "${pruner.name}" is registered twice`);
    this.pruners.set(pruner.name, pruner);
    this.tasks.register({
      name: pruneTaskName(pruner.name),
      everyMs: this.config.pruning.intervalMs,
      run: () => this.prune(pruner),
    });
  }

  /** One run: bounded batches until one removes fewer rows than it may; returns the rows removed. */
  async prune(pruner: Pruner): Promise<number> {
    const limit = this.config.pruning.batchSize;
    let total = 0;
    for (;;) {
      const deleted = await pruner.pruneBatch(limit);
      this.metrics.pruneBatches.inc({ pruner: pruner.name });
      this.metrics.prunedRows.inc({ pruner: pruner.name }, deleted);
      total += deleted;
      if (deleted < limit) break;
    }
    if (total > 0) this.logger.log(`pruned ${total} rows (${pruner.name})`);
    return total;
  }
}
