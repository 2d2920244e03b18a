import { Inject, Injectable } from '@nestjs/common';
import type { Counter, Histogram } from 'prom-client';
import { OUTBOX_PORTS, type OutboxPorts } from '../ports.js';

const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** The outbox's Prometheus metrics, declared through the host's metrics port (once per process). */
@Injectable()
export class OutboxMetrics {
  readonly relayed: Counter;
  readonly relayBatchSize: Histogram;
  readonly relayBatchSeconds: Histogram;
  readonly handled: Counter;
  readonly duplicates: Counter;
  readonly retries: Counter;
  readonly deadLetters: Counter;
  readonly forgedJobs: Counter;
  readonly prunedRows: Counter;
  readonly pruneBatches: Counter;
  readonly redriven: Counter;
  readonly handlerSeconds: Histogram;
  readonly groupSize: Histogram;
  readonly endToEndSeconds: Histogram;

  constructor(@Inject(OUTBOX_PORTS) { metrics }: OutboxPorts) {
    this.relayed = metrics.counter(
      'outbox_relayed_events_total',
      'Events moved from the outbox to the delivery ledger',
    );
    this.relayBatchSize = metrics.histogram(
      'outbox_relay_batch_size',
      'Events per relay batch',
      [],
      [1, 5, 10, 50, 100, 250, 500, 1000],
    );
    this.relayBatchSeconds = metrics.histogram(
      'outbox_relay_batch_duration_seconds',
      'Relay batch duration',
      [],
      SECONDS,
    );
    this.handled = metrics.counter('outbox_handled_total', 'Deliveries handled', ['subscriber']);
    this.duplicates = metrics.counter('outbox_duplicates_skipped_total', 'Duplicate deliveries skipped by the inbox', [
      'subscriber',
    ]);
    this.retries = metrics.counter('outbox_retries_total', 'Failed attempts that will be retried', ['subscriber']);
    this.deadLetters = metrics.counter('outbox_dead_letters_total', 'Deliveries dead-lettered', [
      'subscriber',
      'reason',
    ]);
    this.forgedJobs = metrics.counter(
      'outbox_forged_jobs_total',
      'Delivery jobs refused because their envelope did not match the event committed in PostgreSQL',
      ['subscriber'],
    );
    this.prunedRows = metrics.counter('maintenance_pruned_rows_total', 'Rows deleted by @Pruner() tasks', ['pruner']);
    this.pruneBatches = metrics.counter(
      'maintenance_prune_batches_total',
      'Bounded DELETE batches run by @Pruner() tasks',
      ['pruner'],
    );
    this.redriven = metrics.counter('outbox_redriven_total', 'Deliveries re-driven by the sweeper', ['subscriber']);
    this.handlerSeconds = metrics.histogram(
      'outbox_handler_duration_seconds',
      'Handler transaction duration',
      ['subscriber'],
      SECONDS,
    );
    this.groupSize = metrics.histogram(
      'outbox_group_commit_size',
      'Deliveries per group-commit transaction (subscriptions with groupCommit)',
      ['subscriber'],
      [1, 2, 4, 8, 16, 32, 64],
    );
    this.endToEndSeconds = metrics.histogram(
      'outbox_end_to_end_latency_seconds',
      'occurredAt to handled',
      ['subscriber'],
      SECONDS,
    );
  }
}
