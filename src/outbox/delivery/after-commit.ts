import { type DataSource, EntityManager, type EntitySubscriberInterface, type QueryRunner } from 'typeorm';

/** Callbacks waiting for the outermost COMMIT of each open transaction. */
const waiting = new WeakMap<QueryRunner, Array<() => void>>();
/** Data sources whose transactions are already watched. */
const watched = new WeakSet<DataSource>();

/** Thrown by {@link afterCommit} outside a transaction, where "after commit" has no meaning. */
export class AfterCommitTransactionRequiredError extends Error {
  constructor() {
    super('afterCommit needs a transaction: pass the EntityManager a handler or transaction received');
  }
}

/**
 * Calls `hooks` when a transaction of `dataSource` ends at its outermost level: a released or
 * rolled-back savepoint also reports a commit or rollback to TypeORM subscribers, and is ignored.
 */
export function onOutermostTransactionEnd(
  dataSource: DataSource,
  hooks: { committed: (runner: QueryRunner) => void; rolledBack: (runner: QueryRunner) => void },
): void {
  const subscriber: EntitySubscriberInterface = {
    afterTransactionCommit: ({ queryRunner }) => {
      if (!queryRunner.isTransactionActive) hooks.committed(queryRunner);
    },
    afterTransactionRollback: ({ queryRunner }) => {
      if (!queryRunner.isTransactionActive) hooks.rolledBack(queryRunner);
    },
  };
  (dataSource.subscribers as EntitySubscriberInterface[]).push(subscriber);
}

function watch(dataSource: DataSource): void {
  if (watched.has(dataSource)) return;
  watched.add(dataSource);
  onOutermostTransactionEnd(dataSource, {
    committed: (runner) => {
      const callbacks = waiting.get(runner);
      waiting.delete(runner);
      for (const callback of callbacks ?? []) callback();
    },
    rolledBack: (runner) => waiting.delete(runner),
  });
}

/**
 * Runs `callback` once the transaction of `tx` has committed (its outermost COMMIT has returned),
 * and never if it rolls back. For what a handler must not do twice when its delivery is retried
 * after a failed commit, nor at all for a transaction that did not commit: counting metrics of its
 * outcome, updating an in-process cache. A callback registered inside a savepoint that is later
 * rolled back still runs if the outer transaction commits. A callback must not throw; it runs
 * after the data is committed, where nothing can undo it.
 * @throws AfterCommitTransactionRequiredError when `tx` has no active transaction.
 */
export function afterCommit(tx: EntityManager | QueryRunner, callback: () => void): void {
  const runner = tx instanceof EntityManager ? tx.queryRunner : tx;
  if (!runner?.isTransactionActive) throw new AfterCommitTransactionRequiredError();
  watch(runner.connection);
  const callbacks = waiting.get(runner);
  if (callbacks) callbacks.push(callback);
  else waiting.set(runner, [callback]);
}
