import { SetMetadata } from '@nestjs/common';
import type { EntityManager } from 'typeorm';

/**
 * The period a run covers, `[from, to)`. It is derived from the run's start and the reconciler's
 * schedule only (see {@link windowAt}), so every run in one schedule slot (the scheduled run, a
 * retry, an admin's rerun) has the same window and therefore produces the same finding keys.
 */
export interface ReconciliationWindow {
  from: Date;
  to: Date;
}

/** Something a run found wrong with one subject. */
export interface Finding {
  /**
   * What is wrong, stable across runs and processes (`citizen:<id>`, `payment:<id>`): with the
   * reconciler, its rules version and the window it makes the finding's deterministic key.
   * 1-200 characters.
   */
  subject: string;
  /** One line for the admin. */
  description: string;
  /** Ids and numbers that explain the finding (stored as JSON). */
  details: Record<string, unknown>;
  /**
   * The deterministic fix, when there is one. It runs in the transaction that marks the finding
   * healed, so the fix and the mark commit together (once per finding); it must still be
   * idempotent, because another path (a late event) may fix the same thing concurrently. A finding
   * without `heal`, or whose heal throws, is an exception left open for an admin.
   */
  heal?: (tx: EntityManager) => Promise<void>;
}

/**
 * A reconciler checks one business invariant and reports what breaks it. Implement it on a Nest
 * provider of the owning module and mark the class with {@link Reconciler `@Reconciler()`}: it then
 * runs as the scheduled task `reconcile-<name>` (a BullMQ job scheduler, one run at a time across
 * every process), its runs and findings are stored and counted, and admins can run it on demand.
 */
export interface Reconciler {
  /** Stable, kebab-case (`licences-issue-cleared-blocked`); finding keys and the task name derive from it. */
  readonly name: string;
  /** How often it runs. */
  readonly everyMs: number;
  /**
   * Bump when the rules change what counts as a finding: findings of another version never
   * collide with the new ones.
   */
  readonly rulesVersion: number;
  /**
   * How far back a run looks; defaults to `everyMs`. Reconcilers that check the current state of
   * every subject leave it unset, and the window then only names the run's schedule slot.
   */
  readonly windowMs?: number;
  /**
   * Returns the findings for `window`. `tx` is a read-only REPEATABLE READ transaction, so the
   * whole check sees one snapshot; heals run afterwards, each in a transaction of its own.
   */
  check(window: ReconciliationWindow, tx: EntityManager): Promise<Finding[]>;
}

export const RECONCILER = Symbol('reconciliation:reconciler');

/**
 * Marks a provider implementing {@link Reconciler}; the reconciliation module finds it at start.
 * The decorator and the interface share a name (a value and a type):
 * `@Reconciler() @Injectable() class X implements Reconciler`.
 */
export const Reconciler = (): ClassDecorator => SetMetadata(RECONCILER, true);
