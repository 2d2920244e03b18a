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
  retired: 'the refund is made once requested and stated once the provider answered (ADR 0048)',
});

/**
 * The gateway refund as it was before a refund was requested first (docs/adr/0048-payment-aggregate.md):
 * the payment was already `refunded` (status, reversed ledger posting, `payments.payment-refunded`)
 * and this subscriber then gave the money back at the gateway. Kept only to handle deliveries of
 * `payments.payment-refunded` made before that release - in a queue, waiting for a retry, or a dead
 * letter replayed later - whose money would otherwise never go back. It calls the gateway with the
 * same idempotency key as before and as its successor (`refund-<paymentId>`, derived by the
 * adapter), so a refund already made is found, not made again, and stores the provider's refund
 * reference on a payment that has none yet. It appends no event: the payment was stated refunded
 * by the old release. Timeouts and 5xx are retried with backoff; a refusal goes to dead letters.
 * Delete it, with its manifest entry, once no delivery to it is open and no dead letter of it can
 * be replayed.
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
    const charge = await this.payments.gatewayRefOf(tx, paymentId);
    // The event committed with the refunded row, and a confirmed payment always has its charge's ref.
    if (!charge?.gatewayRef) throw new NonRetryableError(`refunded payment ${paymentId} has no gateway charge`);
    const { refundRef } = await this.gateway.refund({ paymentId, gatewayRef: charge.gatewayRef, amount, currency });
    const stored = await this.payments.storeLateRefundRef(tx, paymentId, refundRef);
    this.logger.log(`payment ${paymentId} refunded at the gateway (${refundRef})${stored ? ', reference stored' : ''}`);
  }
}
