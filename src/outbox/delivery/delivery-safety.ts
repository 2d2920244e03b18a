import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { OUTBOX_OPTIONS, type OutboxOptions } from '../outbox-options.js';
import { EventCatalogue } from '../catalogue/event-catalogue.js';
import { retryHorizonMs } from '../catalogue/subscription.js';

/**
 * Refuses to start when a delivery could still be redelivered after its inbox row was pruned:
 * the dedupe window must cover every subscriber's retry horizon (plus, for ordered ones, the
 * longest wait for a predecessor) and the sweeper's re-drive delay.
 */
@Injectable()
export class DeliverySafetyCheck implements OnModuleInit {
  constructor(
    @Inject(OUTBOX_OPTIONS) private readonly config: OutboxOptions,
    private readonly catalogue: EventCatalogue,
  ) {}

  onModuleInit(): void {
    const windowMs = this.config.dedupeWindowHours * 3_600_000;
    const problems = this.catalogue.allSubscriptions().flatMap((subscription) => {
      const horizonMs =
        retryHorizonMs(subscription.retry) +
        (subscription.ordered ? this.config.sequenceGapTimeoutMs : 0) +
        this.config.sweepAfterMs;
      return horizonMs > windowMs
        ? [`subscriber ${subscription.name} may be redelivered up to ${Math.ceil(horizonMs / 1000)} s later`]
        : [];
    });
    if (problems.length > 0) {
      throw new Error(
        `OUTBOX_DEDUPE_WINDOW_HOURS=${this.config.dedupeWindowHours} is shorter than the longest retry horizon: ${problems.join('; ')}`,
      );
    }
  }
}
