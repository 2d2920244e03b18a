import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/index.js';
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
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly catalogue: EventCatalogue,
  ) {}

  onModuleInit(): void {
    const windowMs = this.config.outbox.dedupeWindowHours * 3_600_000;
    const problems = this.catalogue.allSubscriptions().flatMap((subscription) => {
      const horizonMs =
        retryHorizonMs(subscription.retry) +
        (subscription.ordered ? this.config.outbox.sequenceGapTimeoutMs : 0) +
        this.config.outbox.sweepAfterMs;
      return horizonMs > windowMs
        ? [`subscriber ${subscription.name} may be redelivered up to ${Math.ceil(horizonMs / 1000)} s later`]
        : [];
    });
    if (problems.length > 0) {
      throw new Error(
        `OUTBOX_DEDUPE_WINDOW_HOURS=${this.config.outbox.dedupeWindowHours} is shorter than the longest retry horizon: ${problems.join('; ')}`,
      );
    }
  }
}
