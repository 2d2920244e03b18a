import { Inject, Injectable, Logger } from '@nestjs/common';
import { DelayedError, type Job, UnrecoverableError } from 'bullmq';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../../config/index.js';
import { runWithCorrelation } from '../../platform/context/index.js';
import { EventCatalogue } from '../catalogue/event-catalogue.js';
import { assertValidPayload, type Envelope, InvalidEventPayloadError } from '../catalogue/event-contract.js';
import type { Subscription } from '../catalogue/subscription.js';
import { DeadLetters } from '../dead-letters/dead-letters.service.js';
import { OutboxMetrics } from '../metrics/outbox-metrics.js';
import { type BoundSubscription, HandlerRegistry } from './handler-registry.js';
import type { DeliveryJobData } from './lane-queues.js';
import { NonRetryableError } from './non-retryable.error.js';
import { checkSequence } from './sequence-gate.js';

export type DeliveryOutcome = 'handled' | 'duplicate';

class PredecessorPending extends Error {}

/**
 * Handles one delivery job: inbox row, handler and ledger update in one transaction; duplicates
 * skipped; ordered subscribers re-sequenced; failures retried by BullMQ or dead-lettered.
 */
@Injectable()
export class DeliveryProcessor {
  private readonly logger = new Logger(DeliveryProcessor.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly dataSource: DataSource,
    private readonly handlers: HandlerRegistry,
    private readonly catalogue: EventCatalogue,
    private readonly deadLetters: DeadLetters,
    private readonly metrics: OutboxMetrics,
  ) {}

  async process(job: Job<DeliveryJobData>, token?: string): Promise<DeliveryOutcome> {
    const { envelope, subscriber } = job.data;
    // A subscriber this build does not know (a rolling deploy): retry, never drop.
    const bound = this.handlers.get(subscriber);
    if (!bound) throw new Error(`no handler for subscriber "${subscriber}" in this process`);
    return runWithCorrelation({ correlationId: envelope.correlationId, causationId: envelope.id }, async () => {
      try {
        return await this.handle(bound, envelope);
      } catch (error) {
        if (error instanceof PredecessorPending) return this.waitForPredecessor(job, token, bound.subscription);
        throw await this.fail(job, bound.subscription, error);
      }
    });
  }

  private async handle({ subscription, handler }: BoundSubscription, envelope: Envelope): Promise<DeliveryOutcome> {
    assertValidPayload(this.catalogue.contract(envelope.type, envelope.version), envelope.payload);
    const stopTimer = this.metrics.handlerSeconds.startTimer({ subscriber: subscription.name });
    const outcome = await this.dataSource.transaction(async (tx): Promise<DeliveryOutcome> => {
      const fresh: unknown[] = await tx.query(
        `INSERT INTO outbox_inbox (subscriber, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING 1`,
        [subscription.name, envelope.id],
      );
      if (fresh.length === 0) return 'duplicate';
      if (subscription.ordered && (await checkSequence(tx, subscription, envelope)) === 'wait') {
        throw new PredecessorPending();
      }
      await handler.handle(envelope, tx);
      await tx.query(
        `UPDATE outbox_delivery SET state = 'handled', handled_at = now(), updated_at = now(), attempts = attempts + 1
         WHERE event_id = $1 AND subscriber = $2`,
        [envelope.id, subscription.name],
      );
      return 'handled';
    });
    stopTimer();
    if (outcome === 'duplicate') {
      this.metrics.duplicates.inc({ subscriber: subscription.name });
    } else {
      this.metrics.handled.inc({ subscriber: subscription.name });
      this.metrics.endToEndSeconds.observe(
        { subscriber: subscription.name },
        (Date.now() - Date.parse(envelope.occurredAt)) / 1000,
      );
    }
    return outcome;
  }

  /** Waits without spinning: the job is delayed and re-checked, unless the gap has lasted too long. */
  private async waitForPredecessor(
    job: Job<DeliveryJobData>,
    token: string | undefined,
    subscription: Subscription,
  ): Promise<never> {
    const { envelope } = job.data;
    const [row] = await this.dataSource.query(
      `SELECT extract(epoch FROM now() - created_at) * 1000 AS waited_ms FROM outbox_delivery WHERE event_id = $1 AND subscriber = $2`,
      [envelope.id, subscription.name],
    );
    const waitedMs = Number(row?.waited_ms ?? 0);
    if (waitedMs > this.config.outbox.sequenceGapTimeoutMs) {
      const error = new Error(
        `sequence-gap: an earlier event of ${envelope.aggregateType} ${envelope.aggregateId} is missing after ${Math.round(waitedMs)} ms`,
      );
      error.name = 'SequenceGapError';
      this.logger.error(
        `ALERT ${error.message} (subscriber ${subscription.name}, event ${envelope.id}, seq ${envelope.aggregateSeq})`,
      );
      await this.deadLetters.record({
        envelope,
        subscriber: subscription.name,
        reason: 'sequence-gap',
        error,
        attempts: job.attemptsMade + 1,
      });
      throw new UnrecoverableError(error.message);
    }
    await job.moveToDelayed(Date.now() + this.config.outbox.sequenceRecheckMs, token);
    throw new DelayedError();
  }

  /** Records the failure; returns the error for BullMQ (UnrecoverableError skips the remaining attempts). */
  private async fail(job: Job<DeliveryJobData>, subscription: Subscription, error: unknown): Promise<Error> {
    const { envelope } = job.data;
    const attempt = job.attemptsMade + 1;
    const message = error instanceof Error ? error.message : String(error);
    const nonRetryable =
      error instanceof NonRetryableError ||
      error instanceof InvalidEventPayloadError ||
      subscription.nonRetryable.some((type) => error instanceof type);
    if (nonRetryable || attempt >= (job.opts.attempts ?? 1)) {
      const reason = nonRetryable ? 'non-retryable' : 'exhausted';
      this.logger.warn(`dead letter (${reason}): ${subscription.name} ${envelope.type} ${envelope.id}: ${message}`);
      await this.deadLetters.record({ envelope, subscriber: subscription.name, reason, error, attempts: attempt });
      return nonRetryable ? new UnrecoverableError(message) : toError(error);
    }
    this.metrics.retries.inc({ subscriber: subscription.name });
    await this.dataSource.query(
      `UPDATE outbox_delivery SET attempts = attempts + 1, last_error = $3, updated_at = now()
       WHERE event_id = $1 AND subscriber = $2 AND state IN ('pending', 'enqueued')`,
      [envelope.id, subscription.name, message.slice(0, 2000)],
    );
    return toError(error);
  }
}

function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
