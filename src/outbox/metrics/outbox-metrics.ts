import { Injectable } from '@nestjs/common';
import { counter, histogram } from '../../platform/metrics/metric-registry.js';

const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** The outbox's Prometheus metrics, registered once per process in the default registry. */
@Injectable()
export class OutboxMetrics {
  readonly relayed = counter('outbox_relayed_events_total', 'Events moved from the outbox to the delivery ledger');
  readonly relayBatchSize = histogram(
    'outbox_relay_batch_size',
    'Events per relay batch',
    [],
    [1, 5, 10, 50, 100, 250, 500, 1000],
  );
  readonly relayBatchSeconds = histogram('outbox_relay_batch_duration_seconds', 'Relay batch duration', [], SECONDS);
  readonly handled = counter('outbox_handled_total', 'Deliveries handled', ['subscriber']);
  readonly duplicates = counter('outbox_duplicates_skipped_total', 'Duplicate deliveries skipped by the inbox', [
    'subscriber',
  ]);
  readonly retries = counter('outbox_retries_total', 'Failed attempts that will be retried', ['subscriber']);
  readonly deadLetters = counter('outbox_dead_letters_total', 'Deliveries dead-lettered', ['subscriber', 'reason']);
  readonly forgedJobs = counter(
    'outbox_forged_jobs_total',
    'Delivery jobs refused because their envelope did not match the event committed in PostgreSQL',
    ['subscriber'],
  );
  readonly prunedRows = counter('maintenance_pruned_rows_total', 'Rows deleted by @Pruner() tasks', ['pruner']);
  readonly pruneBatches = counter('maintenance_prune_batches_total', 'Bounded DELETE batches run by @Pruner() tasks', [
    'pruner',
  ]);
  readonly redriven = counter('outbox_redriven_total', 'Deliveries re-driven by the sweeper', ['subscriber']);
  readonly handlerSeconds = histogram(
    'outbox_handler_duration_seconds',
    'Handler transaction duration',
    ['subscriber'],
    SECONDS,
  );
  readonly groupSize = histogram(
    'outbox_group_commit_size',
    'Deliveries per group-commit transaction (subscriptions with groupCommit)',
    ['subscriber'],
    [1, 2, 4, 8, 16, 32, 64],
  );
  readonly endToEndSeconds = histogram(
    'outbox_end_to_end_latency_seconds',
    'occurredAt to handled',
    ['subscriber'],
    SECONDS,
  );
}
