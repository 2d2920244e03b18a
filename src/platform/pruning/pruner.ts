import { SetMetadata } from '@nestjs/common';

/**
 * Removes rows that have outlived their use from one table, a bounded batch at a time
 * (docs/adr/0019-forged-jobs-and-pruning.md). Implement it on a Nest provider of the module that
 * owns the table and mark the class with {@link Pruner `@Pruner()`}: it then runs as the scheduled
 * task `prune-<name>` every `PRUNE_INTERVAL_MS` (a BullMQ job scheduler, one run at a time across
 * every process), which calls {@link Pruner.pruneBatch} until a batch removes fewer than it may.
 * The owner keeps the rule of what is old; the scheduler only drives the batches.
 */
export interface Pruner {
  /** Stable, kebab-case (`idempotency-keys`); the task name derives from it. */
  readonly name: string;
  /**
   * Deletes at most `limit` rows that are no longer needed, in one bounded statement (never one
   * DELETE over the whole backlog: the lock and the WAL of each batch stay small), and returns how
   * many it deleted.
   */
  pruneBatch(limit: number): Promise<number>;
}

export const PRUNER = Symbol('platform:pruner');

/**
 * Marks a provider implementing {@link Pruner}; the outbox's maintenance finds it at start. The
 * decorator and the interface share a name (a value and a type):
 * `@Pruner() @Injectable() class X implements Pruner`.
 */
export const Pruner = (): ClassDecorator => SetMetadata(PRUNER, true);
