import { Inject, Injectable, Logger } from '@nestjs/common';
import { SpanKind } from '@opentelemetry/api';
import { DelayedError, type Job, UnrecoverableError } from 'bullmq';
import { DataSource, type EntityManager } from 'typeorm';
import { OUTBOX_OPTIONS, type OutboxOptions } from '../outbox-options.js';
import { EventCatalogue } from '../catalogue/event-catalogue.js';
import { assertValidPayload, type Envelope, InvalidEventPayloadError } from '../catalogue/event-contract.js';
import { passesFilter, type Subscription } from '../catalogue/subscription.js';
import { DeadLetters } from '../dead-letters/dead-letters.service.js';
import { OutboxMetrics } from '../metrics/outbox-metrics.js';
import { OUTBOX_PORTS, type OutboxPorts } from '../ports.js';
import { ENQUEUED_BY_NOW } from '../relay/relay.js';
import { prepared, runPrepared, runPreparedOnPool } from '../sql/prepared.js';
import { CriticalFirst } from './critical-first.js';
import {
  envelopeMatches,
  ForgedJobError,
  GENUINE_EVENT,
  isEnvelopeShaped,
  VERIFY_ENVELOPE,
} from './job-authenticity.js';
import { type BoundSubscription, type EventHandler, HandlerRegistry } from './handler-registry.js';
import type { DeliveryJobData } from './lane-queues.js';
import { NonRetryableError } from './non-retryable.error.js';
import { checkSequence } from './sequence-gate.js';

export type DeliveryOutcome = 'handled' | 'duplicate';

class PredecessorPending extends Error {}

/**
 * The authenticity check, the inbox rows and the ledger's `handled` mark, in one statement, for
 * the envelopes in the jsonb array $2 (docs/adr/0019-forged-jobs-and-pruning.md). Returns one row
 * per genuine member (`n`, its 1-based position): `fresh` when the subscriber had not handled it
 * yet (else a duplicate); a member without a row did not match the committed event. Only genuine
 * members touch the inbox and the ledger; both commit with the handlers. A duplicate whose ledger
 * row is still open (its inbox row committed, but the relay's claim that wrote the ledger row was
 * lost in a database crash and redone) is marked `handled` too, so the sweeper does not re-drive
 * it for ever.
 */
export const RECORD_HANDLED = prepared(
  'record_handled',
  `WITH genuine AS (
     SELECT j.n, e.id
     FROM jsonb_array_elements($2::jsonb) WITH ORDINALITY AS j(envelope, n)
     JOIN outbox_event e ON e.id = (j.envelope->>'id')::uuid
     JOIN outbox_delivery d ON d.event_id = e.id AND d.subscriber = $1::text
     WHERE ${envelopeMatches('j.envelope', 'e')}
   ), fresh AS (
     INSERT INTO outbox_inbox (subscriber, event_id)
     SELECT DISTINCT $1::text, id FROM genuine
     ON CONFLICT DO NOTHING
     RETURNING event_id
   ), handled AS (
     UPDATE outbox_delivery d
     SET state = 'handled', handled_at = now(), updated_at = now(), enqueued_at = ${ENQUEUED_BY_NOW},
         attempts = d.attempts + CASE WHEN f.event_id IS NULL THEN 0 ELSE 1 END
     FROM (SELECT DISTINCT id FROM genuine) g LEFT JOIN fresh f ON f.event_id = g.id
     WHERE d.subscriber = $1::text AND d.event_id = g.id
       AND (f.event_id IS NOT NULL OR d.state IN ('pending', 'enqueued'))
   )
   SELECT g.n::int AS n, g.id AS event_id, f.event_id IS NOT NULL AS fresh
   FROM genuine g LEFT JOIN fresh f ON f.event_id = g.id`,
);

/**
 * RECORD_HANDLED for one delivery (every delivery of a subscriber without group commit): $2 the
 * event id, $3 the job's envelope. The same check, inbox insert and ledger update with scalar
 * parameters, without the array and joins (bench/hot-statements.bench.ts). One row: `genuine`
 * false means the job does not match the committed event and nothing was written; else `fresh`
 * says handled-now (attempts + 1) or duplicate (an open ledger row is healed to `handled`).
 */
export const RECORD_HANDLED_ONE = prepared(
  'record_handled_one',
  `WITH genuine AS (${GENUINE_EVENT}), fresh AS (
     INSERT INTO outbox_inbox (subscriber, event_id) SELECT $1::text, id FROM genuine
     ON CONFLICT DO NOTHING
     RETURNING event_id
   ), handled AS (
     UPDATE outbox_delivery d
     SET state = 'handled', handled_at = now(), updated_at = now(), enqueued_at = ${ENQUEUED_BY_NOW},
         attempts = d.attempts + (SELECT count(*)::int FROM fresh)
     WHERE d.subscriber = $1::text AND d.event_id = $2::uuid AND EXISTS (SELECT 1 FROM genuine)
       AND (EXISTS (SELECT 1 FROM fresh) OR d.state IN ('pending', 'enqueued'))
   )
   SELECT EXISTS (SELECT 1 FROM genuine) AS genuine, EXISTS (SELECT 1 FROM fresh) AS fresh`,
);

/** A job waiting for its subscriber's next group transaction. */
interface Grouped {
  envelope: Envelope;
  settle: (outcome: Promise<DeliveryOutcome>) => void;
  alone: () => Promise<DeliveryOutcome>;
}

/** Collects a group-commit subscriber's jobs while its transactions commit (see `groupCommit`). */
class CommitGroup {
  private waiting: Grouped[] = [];
  private inFlight = 0;

  constructor(
    private readonly maxInFlight: number,
    private readonly maxSize: number,
    private readonly run: (group: Grouped[]) => Promise<void>,
  ) {}

  submit(envelope: Envelope, alone: () => Promise<DeliveryOutcome>): Promise<DeliveryOutcome> {
    return new Promise<DeliveryOutcome>((resolve, reject) => {
      this.waiting.push({ envelope, alone, settle: (outcome) => outcome.then(resolve, reject) });
      this.next();
    });
  }

  private next(): void {
    while (this.inFlight < this.maxInFlight && this.waiting.length > 0) {
      const group = this.waiting.splice(0, this.maxSize);
      this.inFlight += 1;
      void this.run(group).finally(() => {
        this.inFlight -= 1;
        this.next();
      });
    }
  }
}

/** Group transactions of one subscriber in flight at once: one commits while the next collects. */
const GROUP_TRANSACTIONS_IN_FLIGHT = 2;

/**
 * Handles one delivery job: inbox row, handler and ledger update in one transaction; duplicates
 * skipped; ordered subscribers re-sequenced; failures retried by BullMQ or dead-lettered.
 */
@Injectable()
export class DeliveryProcessor {
  private readonly logger = new Logger(DeliveryProcessor.name);
  private readonly groups = new Map<string, CommitGroup>();

  constructor(
    @Inject(OUTBOX_OPTIONS) private readonly config: OutboxOptions,
    private readonly dataSource: DataSource,
    private readonly handlers: HandlerRegistry,
    private readonly deadLetters: DeadLetters,
    private readonly metrics: OutboxMetrics,
    private readonly criticalFirst: CriticalFirst,
    private readonly catalogue: EventCatalogue,
    @Inject(OUTBOX_PORTS) private readonly ports: OutboxPorts,
  ) {}

  async process(job: Job<DeliveryJobData>, token?: string): Promise<DeliveryOutcome> {
    const { tracing } = this.ports;
    if (!tracing.enabled()) return this.processJob(job, token);
    const { envelope, subscriber } = job.data;
    // A child of the relay span that enqueued the job (docs/adr/0034-tracing-across-the-outbox-hop.md).
    return tracing.inSpan(
      `outbox handle ${subscriber}`,
      {
        kind: SpanKind.CONSUMER,
        parent: tracing.contextFromTraceparent(isEnvelopeShaped(envelope) ? envelope.traceparent : undefined),
        attributes: {
          'messaging.system': 'bullmq',
          'messaging.destination.name': job.queueName,
          'messaging.message.id': isEnvelopeShaped(envelope) ? envelope.id : String(job.id),
          'outbox.subscriber': subscriber,
          'outbox.attempt': job.attemptsMade + 1,
        },
      },
      async (span) => {
        const outcome = await this.processJob(job, token);
        span?.setAttribute('outbox.outcome', outcome);
        return outcome;
      },
    );
  }

  private async processJob(job: Job<DeliveryJobData>, token?: string): Promise<DeliveryOutcome> {
    const { envelope, subscriber } = job.data;
    // A subscriber this build does not know (a rolling deploy): retry, never drop.
    const bound = this.handlers.get(subscriber);
    if (!bound) throw new Error(`no handler for subscriber "${subscriber}" in this process`);
    if (!isEnvelopeShaped(envelope)) {
      throw await this.forged(job, bound.subscription, new ForgedJobError('the job carries no well-formed envelope'));
    }
    const { lane } = bound.subscription;
    if (lane === 'bulk') await this.criticalFirst.yieldToCritical();
    try {
      return await this.deliver(job, token, bound, bound.subscription.groupCommit);
    } finally {
      if (lane === 'critical') this.criticalFirst.finished(envelope.id);
    }
  }

  /** One delivery: in its subscriber's next group transaction if `grouped`, else in a transaction of its own. */
  private deliver(
    job: Job<DeliveryJobData>,
    token: string | undefined,
    bound: BoundSubscription,
    grouped = false,
  ): Promise<DeliveryOutcome> {
    const { envelope } = job.data;
    return this.ports.context.run({ correlationId: envelope.correlationId, causationId: envelope.id }, async () => {
      try {
        // The relay routes an event only by the catalogue's routes: any other pairing did not come from it.
        const route = this.catalogue.routeOf(bound.subscription, envelope);
        if (!route) throw new ForgedJobError(`the subscriber does not take ${envelope.type} v${envelope.version}`);
        assertValidPayload(route.stored, envelope.payload);
        if (!grouped) return await this.handle(bound, envelope);
      } catch (error) {
        if (error instanceof PredecessorPending) return this.waitForPredecessor(job, token, bound.subscription);
        if (error instanceof ForgedJobError || error instanceof InvalidEventPayloadError) {
          throw await this.unlessGenuine(job, token, bound.subscription, error);
        }
        throw await this.fail(job, bound.subscription, error);
      }
      // A failure is handled (retried or dead-lettered) by the member's own `alone` run.
      return this.group(bound).submit(envelope, () => this.deliver(job, token, bound));
    });
  }

  private group(bound: BoundSubscription): CommitGroup {
    let group = this.groups.get(bound.subscription.name);
    if (!group) {
      const maxSize = this.config.laneConcurrency[bound.subscription.lane];
      group = new CommitGroup(GROUP_TRANSACTIONS_IN_FLIGHT, maxSize, (members) => this.handleGroup(bound, members));
      this.groups.set(bound.subscription.name, group);
    }
    return group;
  }

  private async handle({ subscription, handler }: BoundSubscription, envelope: Envelope): Promise<DeliveryOutcome> {
    const stopTimer = this.metrics.handlerSeconds.startTimer({ subscriber: subscription.name });
    const outcome = await this.dataSource.transaction(async (tx): Promise<DeliveryOutcome> => {
      const [{ genuine, fresh }] = await runPrepared<{ genuine: boolean; fresh: boolean }>(
        tx.queryRunner!,
        RECORD_HANDLED_ONE,
        [subscription.name, envelope.id, JSON.stringify(envelope)],
      );
      if (!genuine) throw new ForgedJobError('the envelope does not match the event committed in PostgreSQL');
      if (!fresh) return 'duplicate';
      if (subscription.ordered && (await checkSequence(tx, subscription, envelope)) === 'wait') {
        throw new PredecessorPending();
      }
      await this.callHandler(subscription, handler, envelope, tx);
      return 'handled';
    });
    stopTimer();
    this.count(subscription, envelope, outcome);
    return outcome;
  }

  /**
   * A group transaction: authenticity, inbox rows and ledger marks of all members in one
   * statement, then each fresh member's handler, then one COMMIT. If anything fails, every member
   * is handled again alone, where retries and dead letters apply to the one that fails; a member
   * that is not genuine is handled alone after the COMMIT, where it becomes a `forged` dead letter.
   */
  private async handleGroup(bound: BoundSubscription, members: Grouped[]): Promise<void> {
    this.metrics.groupSize.observe({ subscriber: bound.subscription.name }, members.length);
    if (members.length === 1) return this.handleAlone(members);
    const { subscription, handler } = bound;
    const stopTimer = this.metrics.handlerSeconds.startTimer({ subscriber: subscription.name });
    // Per member: its outcome, or undefined when it did not match the committed event.
    let outcomes: (DeliveryOutcome | undefined)[];
    try {
      outcomes = await this.dataSource.transaction(async (tx) => {
        const rows = await runPrepared<{ n: number; event_id: string; fresh: boolean }>(
          tx.queryRunner!,
          RECORD_HANDLED,
          [subscription.name, JSON.stringify(members.map((m) => m.envelope))],
        );
        const byPosition = new Map(rows.map((row) => [row.n - 1, row]));
        // Two copies of one event in a group: the inbox row is fresh once, so only the first runs.
        const claimed = new Set<string>();
        const result = members.map((_, i): DeliveryOutcome | undefined => {
          const row = byPosition.get(i);
          if (!row) return undefined;
          if (!row.fresh || claimed.has(row.event_id)) return 'duplicate';
          claimed.add(row.event_id);
          return 'handled';
        });
        for (const [i, { envelope }] of members.entries()) {
          if (result[i] !== 'handled') continue;
          await this.ports.context.run({ correlationId: envelope.correlationId, causationId: envelope.id }, () =>
            // What a member appends joins its own event's trace, not the trace of the job that ran the group.
            this.ports.tracing.withTraceparent(envelope.traceparent, () =>
              this.callHandler(subscription, handler, envelope, tx),
            ),
          );
        }
        return result;
      });
    } catch {
      return this.handleAlone(members);
    }
    stopTimer();
    const notGenuine: Grouped[] = [];
    for (const [i, member] of members.entries()) {
      const outcome = outcomes[i];
      if (outcome === undefined) {
        notGenuine.push(member);
        continue;
      }
      this.count(subscription, member.envelope, outcome);
      member.settle(Promise.resolve(outcome));
    }
    if (notGenuine.length > 0) await this.handleAlone(notGenuine);
  }

  /** Each member in a transaction of its own; resolves when all are done, so the group's slot stays taken till then. */
  private async handleAlone(members: Grouped[]): Promise<void> {
    const outcomes = members.map((member) => member.alone());
    members.forEach((member, i) => member.settle(outcomes[i]));
    await Promise.allSettled(outcomes);
  }

  /**
   * Calls the handler, unless the event fails the subscription's filter: the relay routes only
   * events that pass it, but a delivery relayed before the filter existed (or replayed from a dead
   * letter of that time) still arrives. It is recorded as handled without reaching the handler, so
   * handlers never repeat their subscription's filter as a guard.
   */
  private async callHandler(
    subscription: Subscription,
    handler: EventHandler,
    envelope: Envelope,
    tx: EntityManager,
  ): Promise<void> {
    if (!passesFilter(subscription, envelope.payload)) return;
    await handler.handle(this.asHandled(subscription, envelope), tx);
  }

  /**
   * The envelope as the subscriber handles it: upcast to the version it subscribes to, and checked
   * against that contract (docs/adr/0045-event-upcasters.md). The inbox, the ledger and the
   * authenticity check keep the stored envelope.
   */
  private asHandled(subscription: Subscription, envelope: Envelope): Envelope {
    const route = this.catalogue.routeOf(subscription, envelope)!;
    if (route.handled === route.stored) return envelope;
    const upcast = this.catalogue.upcast(envelope, route);
    assertValidPayload(route.handled, upcast.payload);
    return upcast;
  }

  private count(subscription: Subscription, envelope: Envelope, outcome: DeliveryOutcome): void {
    if (outcome === 'duplicate') {
      this.metrics.duplicates.inc({ subscriber: subscription.name });
    } else {
      this.metrics.handled.inc({ subscriber: subscription.name });
      this.metrics.endToEndSeconds.observe(
        { subscriber: subscription.name },
        (Date.now() - Date.parse(envelope.occurredAt)) / 1000,
      );
    }
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
    if (waitedMs > this.config.sequenceGapTimeoutMs) {
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
    await job.moveToDelayed(Date.now() + this.config.sequenceRecheckMs, token);
    throw new DelayedError();
  }

  /**
   * A job that failed the authenticity check (or whose payload is invalid, which a genuine event
   * can be too): asks PostgreSQL once more, outside the rolled-back transaction. Genuine after all
   * → an ordinary failure. An event still in the hot outbox table → checked again later without
   * spending an attempt: its claim was undone by a database crash after the job was enqueued
   * (relay.ts), and the relay claims it again. Else → forged.
   */
  private async unlessGenuine(
    job: Job<DeliveryJobData>,
    token: string | undefined,
    subscription: Subscription,
    error: ForgedJobError | InvalidEventPayloadError,
  ): Promise<Error> {
    const { envelope } = job.data;
    const [{ genuine, unrelayed }] = await runPreparedOnPool<{ genuine: boolean; unrelayed: boolean }>(
      this.dataSource,
      VERIFY_ENVELOPE,
      [subscription.name, envelope.id, JSON.stringify(envelope)],
    );
    if (genuine) return this.fail(job, subscription, error);
    if (unrelayed) {
      const { sequenceRecheckMs, relayPollIntervalMs } = this.config;
      await job.moveToDelayed(Date.now() + Math.max(sequenceRecheckMs, relayPollIntervalMs), token);
      return new DelayedError();
    }
    return this.forged(
      job,
      subscription,
      error instanceof ForgedJobError
        ? error
        : new ForgedJobError('the envelope does not match the event committed in PostgreSQL'),
    );
  }

  /**
   * Dead-letters a forged job without running its handler, counts it and logs it at error level:
   * someone wrote to Redis who should not have. Never retried.
   */
  private async forged(job: Job<DeliveryJobData>, subscription: Subscription, error: ForgedJobError): Promise<Error> {
    const claimedId: unknown = (job.data.envelope as Partial<Envelope> | undefined)?.id;
    this.metrics.forgedJobs.inc({ subscriber: subscription.name });
    this.logger.error(
      `ALERT forged delivery job ${JSON.stringify(String(job.id).slice(0, 200))} for ${subscription.name} ` +
        `(claims event ${JSON.stringify(String(claimedId).slice(0, 100))}): ${error.message}; dead-lettered, handler not run`,
    );
    await this.deadLetters.recordForged({
      envelope: job.data.envelope,
      subscriber: subscription.name,
      error,
      attempts: job.attemptsMade + 1,
    });
    return new UnrecoverableError(error.message);
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
