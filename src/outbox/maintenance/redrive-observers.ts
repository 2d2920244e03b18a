import { Inject, Injectable, Logger } from '@nestjs/common';
import { OUTBOX_PORTS, type OutboxPorts } from '../ports.js';

/** A delivery the sweeper found lost (its job gone, or finished without its ledger row) and enqueued again. */
export interface RedrivenDelivery {
  eventId: string;
  eventType: string;
  subscriber: string;
  correlationId: string;
  /** How many times it has been re-driven, this time included. */
  redrives: number;
}

/** Told of every re-drive once the sweeper has committed it (reconciliation records them as findings). */
export interface RedriveObserver {
  redriven(deliveries: readonly RedrivenDelivery[]): Promise<void>;
}

/**
 * The port through which areas above the outbox learn of the sweeper's re-drives, so the outbox
 * never imports them (dependency inversion, as payments' `Payables`). An observer that fails is
 * logged; the re-drive itself has already happened and stands.
 */
@Injectable()
export class RedriveObservers {
  private readonly logger = new Logger(RedriveObservers.name);
  private readonly observers: RedriveObserver[] = [];

  constructor(@Inject(OUTBOX_PORTS) private readonly ports: OutboxPorts) {}

  register(observer: RedriveObserver): void {
    this.observers.push(observer);
  }

  async notify(deliveries: readonly RedrivenDelivery[]): Promise<void> {
    if (deliveries.length === 0) return;
    for (const observer of this.observers) {
      try {
        await observer.redriven(deliveries);
      } catch (error) {
        this.logger.error({
          msg: 're-drive observer failed',
          deliveries: deliveries.length,
          error: this.ports.describeError(error),
        });
      }
    }
  }
}
