import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, Reflector } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { ScheduledTasks } from '../outbox/index.js';
import { loggableError, runWithCorrelation } from '../platform/index.js';
import { type Finding, RECONCILER, type Reconciler, type ReconciliationWindow } from './reconciler.js';
import { ReconciliationMetrics } from './reconciliation-metrics.js';
import { ReconciliationStore, type RunTotals, type StartedRun } from './reconciliation-store.js';
import { findingKey, windowAt } from './reconciliation-window.js';

const NAME = /^[a-z0-9][a-z0-9-]{0,63}$/;
const MAX_SUBJECT = 200;

/** The scheduled task that runs `reconciler`. */
export const taskName = (reconciler: string) => `reconcile-${reconciler}`;

/** What recording one finding did. */
type Recorded = { isNew: boolean; status: 'open' | 'healed' | 'resolved'; healedNow: boolean; healFailed: boolean };

/**
 * Finds every `@Reconciler()` provider at start, registers each as the scheduled task
 * `reconcile-<name>`, and executes runs: window, check, findings recorded once per key, heals,
 * counts, logs and metrics, all under the run's own correlation id.
 *
 * A task run holds the reconciler's advisory lock ({@link ScheduledTasks}); while holding it, it
 * also executes the runs admins queued, so a requested run that found the lock taken is not lost.
 */
@Injectable()
export class ReconciliationRunner implements OnModuleInit {
  private readonly logger = new Logger(ReconciliationRunner.name);
  private readonly reconcilers = new Map<string, Reconciler>();

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly reflector: Reflector,
    private readonly tasks: ScheduledTasks,
    private readonly dataSource: DataSource,
    private readonly store: ReconciliationStore,
    private readonly metrics: ReconciliationMetrics,
  ) {}

  onModuleInit(): void {
    for (const wrapper of this.discovery.getProviders()) {
      const { instance, metatype } = wrapper;
      if (!instance || !metatype || !this.reflector.get<boolean | undefined>(RECONCILER, metatype)) continue;
      this.add(instance as Reconciler, metatype.name);
    }
  }

  private add(reconciler: Reconciler, className: string): void {
    if (typeof reconciler.check !== 'function') throw new Error(`reconciler ${className} has no check(window, tx)`);
    if (!NAME.test(reconciler.name)) throw new Error(`reconciler name "${reconciler.name}" must match ${NAME}`);
    if (this.reconcilers.has(reconciler.name)) throw new Error(`reconciler "${reconciler.name}" is registered twice`);
    if (!Number.isSafeInteger(reconciler.rulesVersion) || reconciler.rulesVersion < 1) {
      throw new Error(`reconciler "${reconciler.name}" needs an integer rulesVersion >= 1`);
    }
    windowAt(new Date(), reconciler.everyMs, reconciler.windowMs); // validates both intervals
    this.reconcilers.set(reconciler.name, reconciler);
    this.tasks.register({
      name: taskName(reconciler.name),
      everyMs: reconciler.everyMs,
      run: (input) => this.runTask(reconciler, input),
    });
  }

  has(name: string): boolean {
    return this.reconcilers.has(name);
  }

  /**
   * Queues a run of `name` and asks a scheduler process for it now; returns the run id. Should
   * the request not reach Redis, the run stays queued and the reconciler's next scheduled run
   * executes it.
   */
  async request(name: string): Promise<string> {
    const reconciler = this.reconcilers.get(name);
    if (!reconciler) throw new Error(`unknown reconciler "${name}"`);
    const runId = await this.store.queue(name, reconciler.rulesVersion);
    try {
      await this.tasks.trigger(taskName(name), { runId });
    } catch (error) {
      this.logger.warn(
        `run ${runId} of ${name} stays queued until the next scheduled run: ${(error as Error).message}`,
      );
    }
    return runId;
  }

  /** The body of the scheduled task; runs under the task's lock. Throws when its own run failed. */
  private async runTask(reconciler: Reconciler, input: Record<string, unknown>): Promise<void> {
    const abandoned = await this.store.abandonRunning(reconciler.name);
    if (abandoned > 0) this.logger.warn(`${reconciler.name}: ${abandoned} run(s) abandoned by a stopped process`);

    const runId = typeof input.runId === 'string' ? input.runId : undefined;
    const own = runId
      ? await this.store.claim(reconciler.name, reconciler.rulesVersion, await this.windowOf(reconciler), runId)
      : await this.store.start(reconciler.name, reconciler.rulesVersion, await this.windowOf(reconciler));
    const ownError = own ? await this.execute(reconciler, own) : undefined;

    for (;;) {
      const queued = await this.store.claim(reconciler.name, reconciler.rulesVersion, await this.windowOf(reconciler));
      if (!queued) break;
      await this.execute(reconciler, queued);
    }
    if (ownError) throw new Error(`reconciliation run ${own!.id} of ${reconciler.name} failed: ${ownError}`);
  }

  private async windowOf(reconciler: Reconciler): Promise<ReconciliationWindow> {
    return windowAt(await this.store.now(), reconciler.everyMs, reconciler.windowMs);
  }

  /** Executes one started run to its end; returns the error message when it failed. */
  private execute(reconciler: Reconciler, run: StartedRun): Promise<string | undefined> {
    return runWithCorrelation({ correlationId: run.correlationId }, async () => {
      const stopTimer = this.metrics.runSeconds.startTimer({ reconciler: reconciler.name });
      const totals: RunTotals = { findings: 0, healed: 0, exceptions: 0 };
      const context = { reconciler: reconciler.name, runId: run.id, correlationId: run.correlationId };
      try {
        const findings = await this.dataSource.transaction('REPEATABLE READ', async (tx) => {
          await tx.query('SET TRANSACTION READ ONLY');
          return reconciler.check(run.window, tx);
        });
        for (const finding of findings) {
          if (finding.subject.length === 0 || finding.subject.length > MAX_SUBJECT) {
            throw new Error(`finding subject must be 1-${MAX_SUBJECT} characters: "${finding.subject.slice(0, 50)}"`);
          }
        }
        totals.findings = findings.length;
        for (const finding of findings) {
          const recorded = await this.record(reconciler, run, finding);
          if (recorded.healedNow) totals.healed += 1;
          if (recorded.status === 'open') totals.exceptions += 1;
        }
        await this.store.finish(run.id, 'succeeded', totals);
        this.metrics.runs.inc({ reconciler: reconciler.name, status: 'succeeded' });
        this.logger.log({ msg: 'reconciliation run succeeded', ...context, trigger: run.trigger, ...totals });
        return undefined;
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        await this.store.finish(run.id, 'failed', totals, message);
        this.metrics.runs.inc({ reconciler: reconciler.name, status: 'failed' });
        this.logger.error({ msg: 'reconciliation run failed', ...context, error: loggableError(error) });
        return message;
      } finally {
        stopTimer();
      }
    });
  }

  /**
   * Records `finding` under its key, in one transaction with its heal: inserted when new; when the
   * key exists (a rerun of the window), or the subject is already open from an earlier window, that
   * finding is only marked seen. A heal runs only for a finding that is open (new, or whose earlier
   * heal failed), inside a savepoint: a failing heal leaves the finding open with the error.
   */
  private async record(reconciler: Reconciler, run: StartedRun, finding: Finding): Promise<Recorded> {
    const key = findingKey(reconciler.name, reconciler.rulesVersion, run.window, finding.subject);
    const context = {
      reconciler: reconciler.name,
      subject: finding.subject,
      runId: run.id,
      correlationId: run.correlationId,
    };
    const recorded = await this.dataSource.transaction(async (tx): Promise<Recorded & { id: string }> => {
      const inserted: Array<{ id: string }> = await tx.query(
        `INSERT INTO reconciliation_finding
           (id, key, reconciler, subject, window_from, window_to, rules_version, status, description, details,
            first_run_id, last_seen_run_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'open', $8, $9::jsonb, $10, $10)
         ON CONFLICT DO NOTHING
         RETURNING id`,
        [
          uuidv7(),
          key,
          reconciler.name,
          finding.subject,
          run.window.from,
          run.window.to,
          reconciler.rulesVersion,
          finding.description,
          JSON.stringify(finding.details),
          run.id,
        ],
      );
      let id: string;
      let status: Recorded['status'] = 'open';
      if (inserted.length > 0) {
        id = inserted[0].id;
      } else {
        const [existing]: Array<{ id: string; status: Recorded['status'] }> = await tx.query(
          `SELECT id, status FROM reconciliation_finding
           WHERE key = $1 OR (reconciler = $2 AND subject = $3 AND rules_version = $4 AND status = 'open')
           ORDER BY (key = $1) DESC LIMIT 1
           FOR UPDATE`,
          [key, reconciler.name, finding.subject, reconciler.rulesVersion],
        );
        if (!existing) throw new Error(`finding ${key} conflicted but cannot be found`);
        ({ id, status } = existing);
        await tx.query(
          `UPDATE reconciliation_finding
           SET last_seen_run_id = $2,
               description = CASE WHEN status = 'open' THEN $3 ELSE description END,
               details = CASE WHEN status = 'open' THEN $4::jsonb ELSE details END
           WHERE id = $1`,
          [id, run.id, finding.description, JSON.stringify(finding.details)],
        );
      }
      const isNew = inserted.length > 0;
      if (status !== 'open' || !finding.heal) return { id, isNew, status, healedNow: false, healFailed: false };

      await tx.query('SAVEPOINT reconciliation_heal');
      try {
        await finding.heal(tx);
        await tx.query('RELEASE SAVEPOINT reconciliation_heal');
      } catch (error) {
        await tx.query('ROLLBACK TO SAVEPOINT reconciliation_heal');
        const message = error instanceof Error ? error.message : String(error);
        await tx.query(`UPDATE reconciliation_finding SET heal_error = $2 WHERE id = $1`, [id, message.slice(0, 2000)]);
        this.logger.warn({
          msg: 'reconciliation heal failed; the finding stays open',
          ...context,
          findingId: id,
          err: error,
        });
        return { id, isNew, status: 'open', healedNow: false, healFailed: true };
      }
      await tx.query(
        `UPDATE reconciliation_finding SET status = 'healed', healed_at = now(), heal_error = NULL WHERE id = $1`,
        [id],
      );
      return { id, isNew, status: 'healed', healedNow: true, healFailed: false };
    });

    if (recorded.isNew) this.metrics.findings.inc({ reconciler: reconciler.name });
    if (recorded.healFailed) this.metrics.healFailures.inc({ reconciler: reconciler.name });
    if (recorded.healedNow) {
      this.metrics.heals.inc({ reconciler: reconciler.name });
      // Logged after the commit: the line means the fix is durable.
      this.logger.log({ msg: 'reconciliation finding healed', ...context, findingId: recorded.id });
    } else if (recorded.isNew && recorded.status === 'open') {
      this.metrics.exceptions.inc({ reconciler: reconciler.name });
      this.logger.warn({
        msg: 'reconciliation exception opened',
        ...context,
        findingId: recorded.id,
        description: finding.description,
      });
    }
    return recorded;
  }
}
