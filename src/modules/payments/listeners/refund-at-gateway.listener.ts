import { Inject, Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import {
  type Envelope,
  type EventHandler,
  HandlesEvents,
  NonRetryableError,
  subscribe,
} from '../../../outbox/index.js';
import { PaymentRefundedV1, type PaymentRefundedV1Payload } from '../events/index.js';
import { GatewayRequestRejectedError, PAYMENT_GATEWAY, type PaymentGateway } from '../gateway/payment-gateway.js';
import { PaymentRepository } from '../persistence/payment.repository.js';

export const refundAtGatewaySubscription = subscribe(PaymentRefundedV1, {
  name: 'payments.refund-at-gateway',
  module: 'payments',
  lane: 'critical',
  retry: { attempts: 8, backoffMs: 500 },
  nonRetryable: [GatewayRequestRejectedError],
});

/**
 * Gives the money of a refunded payment back at the gateway. The payment is already `refunded`
 * (status, reversed ledger posting, event): this is the external side effect that follows after
 * commit, as the charge follows a request. The gateway call carries an idempotency key derived
 * from the payment id (`refund-<paymentId>`), so a retry after a timeout, a crash or a redelivery
 * finds the refund made instead of making another. Timeouts and 5xx are thrown and retried with backoff; a refusal
 * (no such charge) goes to dead letters for an admin.
 */
@Injectable()
@HandlesEvents(refundAtGatewaySubscription)
export class RefundAtGatewayListener implements EventHandler<PaymentRefundedV1Payload> {
  private readonly logger = new Logger(RefundAtGatewayListener.name);

  constructor(
    @Inject(PAYMENT_GATEWAY) private readonly gateway: PaymentGateway,
    private readonly payments: PaymentRepository,
  ) {}

  async handle(event: Envelope<PaymentRefundedV1Payload>, tx: EntityManager): Promise<void> {
    const { paymentId, amount, currency } = event.payload;
    const payment = await this.payments.gatewayRefOf(tx, paymentId);
    // The event commits with the refunded row, and a confirmed payment always has its charge's ref.
    if (!payment?.gatewayRef) throw new NonRetryableError(`refunded payment ${paymentId} has no gateway charge`);
    const { refundRef } = await this.gateway.refund({
      paymentId,
      gatewayRef: payment.gatewayRef,
      amount,
      currency,
    });
    this.logger.log(`payment ${paymentId} refunded at the gateway (${refundRef})`);
  }
}
