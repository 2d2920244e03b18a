import { Injectable } from '@nestjs/common';
import { counter, histogram } from '../platform/index.js';

/** Reconciliation's Prometheus metrics, registered once per process in the default registry. */
@Injectable()
export class ReconciliationMetrics {
  readonly runs = counter('reconciliation_runs_total', 'Reconciliation runs finished', ['reconciler', 'status']);
  readonly findings = counter('reconciliation_findings_total', 'New reconciliation findings recorded', ['reconciler']);
  readonly heals = counter('reconciliation_heals_total', 'Findings healed automatically', ['reconciler']);
  readonly exceptions = counter('reconciliation_exceptions_total', 'Findings opened as exceptions for an admin', [
    'reconciler',
  ]);
  readonly healFailures = counter('reconciliation_heal_failures_total', 'Heals that threw (the finding stays open)', [
    'reconciler',
  ]);
  readonly runSeconds = histogram(
    'reconciliation_run_duration_seconds',
    'Reconciliation run duration',
    ['reconciler'],
    [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300],
  );
}
