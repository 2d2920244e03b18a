import { Inject, Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import {
  type Envelope,
  type EventHandler,
  HandlesEvents,
  NonRetryableError,
  subscribe,
} from '../../../outbox/index.js';
import { PaymentRefunder } from '../application/refund-payment.js';
import { PaymentRefundRequestedV1, type PaymentRefundRequestedV1Payload } from '../events/index.js';
import { GatewayRequestRejectedError, PAYMENT_GATEWAY, type PaymentGateway } from '../gateway/payment-gateway.js';
import { PaymentRepository } from '../persistence/payment.repository.js';

export const refundAtGatewayWhenRequestedSubscription = subscribe(PaymentRefundRequestedV1, {
  name: 'payments.refund-at-gateway-when-requested',
  module: 'payments',
  lane: 'critical',
  retry: { attempts: 8, backoffMs: 500 },
  nonRetryable: [GatewayRequestRejectedError],
});

/**
 * Gives the money of a payment whose refund was requested back at the gateway, then records the
 * refund (PaymentRefunder.record: status `refunded`, the provider's refund reference, the reversed
 * ledger posting and `payments.payment-refunded`) in this inbox transaction - so the event is
 * appended only once the provider has answered with a reference. The gateway call is made before
 * any payment row is locked, and carries an idempotency key derived from the payment id
 * (`refund-<paymentId>`), so a retry after a timeout, a crash or a redelivery finds the refund
 * made instead of making another, and gets the same reference back; the compare-and-set on
 * `refunding` records it once. Timeouts and 5xx are thrown and retried with backoff (nothing is
 * recorded); a refusal (no such charge) goes to dead letters for an admin. It took over from the
 * retired `payments.refund-at-gateway` (refund-at-gateway.listener.ts), which refunded after
 * `payments.payment-refunded` and still drains that event's deliveries made before this release.
 */
@Injectable()
@HandlesEvents(refundAtGatewayWhenRequestedSubscription)
export class RefundAtGatewayWhenRequestedListener implements EventHandler<PaymentRefundRequestedV1Payload> {
  private readonly logger = new Logger(RefundAtGatewayWhenRequestedListener.name);

  constructor(
    @Inject(PAYMENT_GATEWAY) private readonly gateway: PaymentGateway,
    private readonly payments: PaymentRepository,
    private readonly refunder: PaymentRefunder,
  ) {}

  async handle(event: Envelope<PaymentRefundRequestedV1Payload>, tx: EntityManager): Promise<void> {
    const { paymentId, amount, currency } = event.payload;
    const payment = await this.payments.find(tx, paymentId);
    // Recorded already (a redelivery after the commit): the provider was asked and answered.
    if (payment?.status === 'refunded') return;
    // The event commits with the `refunding` row, and a confirmed payment always has its charge's ref.
    if (payment?.status !== 'refunding' || !payment.gatewayRef) {
      throw new NonRetryableError(`payment ${paymentId} is not being refunded, or has no gateway charge`);
    }
    const { refundRef } = await this.gateway.refund({ paymentId, gatewayRef: payment.gatewayRef, amount, currency });
    if (await this.refunder.record(tx, paymentId, refundRef)) {
      this.logger.log(`payment ${paymentId} refunded at the gateway (${refundRef})`);
    }
  }
}
