import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/index.js';
import { type RedrivenDelivery, type RedriveObserver, RedriveObservers } from '../outbox/index.js';
import { ReconciliationMetrics } from './reconciliation-metrics.js';
import { ReconciliationStore } from './reconciliation-store.js';
import { findingKey, windowAt } from './reconciliation-window.js';

/** The name the sweeper's re-drives are listed under among runs and findings. */
export const SWEEPER_FINDINGS = 'outbox-sweeper-redrives';

/**
 * Records each of the outbox sweeper's re-drives as a healed finding (subject
 * `delivery:<event id>:<subscriber>:redrive-<n>`), one run per sweep batch, so that the findings
 * list tells everything that was healed: by reconcilers and by the sweeper. It implements the
 * outbox's {@link RedriveObserver} port, so the outbox does not depend on reconciliation.
 */
@Injectable()
export class RedriveFindings implements RedriveObserver, OnModuleInit {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly observers: RedriveObservers,
    private readonly store: ReconciliationStore,
    private readonly metrics: ReconciliationMetrics,
  ) {}

  onModuleInit(): void {
    this.observers.register(this);
  }

  async redriven(deliveries: readonly RedrivenDelivery[]): Promise<void> {
    const window = windowAt(await this.store.now(), this.config.outbox.sweepIntervalMs);
    const findings = deliveries.map((d) => {
      const subject = `delivery:${d.eventId}:${d.subscriber}:redrive-${d.redrives}`;
      return {
        key: findingKey(SWEEPER_FINDINGS, 1, window, subject),
        subject,
        description: `${d.eventType} to ${d.subscriber} was not done in time and was re-driven (re-drive ${d.redrives})`,
        details: { ...d },
      };
    });
    const recorded = await this.store.recordHealed(SWEEPER_FINDINGS, window, findings);
    this.metrics.findings.inc({ reconciler: SWEEPER_FINDINGS }, recorded);
    this.metrics.heals.inc({ reconciler: SWEEPER_FINDINGS }, recorded);
  }
}
