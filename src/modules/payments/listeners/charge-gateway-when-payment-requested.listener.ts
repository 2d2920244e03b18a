import { Inject, Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import {
  type Envelope,
  type EventHandler,
  HandlesEvents,
  NonRetryableError,
  subscribe,
} from '../../../outbox/index.js';
import { GatewayResultApplier } from '../application/apply-gateway-result.js';
import { lockPaymentCharge } from '../application/charge-lock.js';
import { chargeIdempotencyKey } from '../domain/payment-rules.js';
import { PaymentRequestedV1, type PaymentRequestedV1Payload } from '../events/index.js';
import { GatewayRequestRejectedError, PAYMENT_GATEWAY, type PaymentGateway } from '../gateway/payment-gateway.js';

export const chargeGatewaySubscription = subscribe(PaymentRequestedV1, {
  name: 'payments.charge-gateway-when-payment-requested',
  module: 'payments',
  lane: 'critical',
  retry: { attempts: 8, backoffMs: 500 },
  nonRetryable: [GatewayRequestRejectedError],
});

/**
 * Charges the gateway for a requested payment and applies the answer (SPEC.md, flow 4).
 *
 * The handler runs in its inbox transaction. Before the gateway call it holds no row lock: only
 * the inbox row it inserted and a per-payment advisory lock that keeps the reconciler
 * ({@link PaymentsApi.resolvePending}) from deciding the payment while a charge is in flight. The
 * gateway call carries `pay-<paymentId>` as idempotency key, so a retry after a timeout, a crash
 * or a redelivery finds the charge already taken instead of taking another. The result is applied
 * with the compare-and-set of {@link GatewayResultApplier}: if the webhook got there first, nothing
 * happens. Timeouts and 5xx are thrown and retried by the outbox with backoff.
 */
@Injectable()
@HandlesEvents(chargeGatewaySubscription)
export class ChargeGatewayWhenPaymentRequestedListener implements EventHandler<PaymentRequestedV1Payload> {
  private readonly logger = new Logger(ChargeGatewayWhenPaymentRequestedListener.name);

  constructor(
    @Inject(PAYMENT_GATEWAY) private readonly gateway: PaymentGateway,
    private readonly results: GatewayResultApplier,
  ) {}

  async handle(event: Envelope<PaymentRequestedV1Payload>, tx: EntityManager): Promise<void> {
    const { paymentId, amount, currency } = event.payload;
    await lockPaymentCharge(tx, paymentId, 'wait');
    const [payment]: Array<{ status: string }> = await tx.query(`SELECT status FROM payments_payment WHERE id = $1`, [
      paymentId,
    ]);
    // The event commits with its payment row; without it there is nothing to charge, ever.
    if (!payment) throw new NonRetryableError(`payment ${paymentId} does not exist`);
    // Confirmed by the webhook, or resolved by the reconciler: never charge a decided payment.
    if (payment.status !== 'pending') return;

    const result = await this.gateway.charge({
      idempotencyKey: chargeIdempotencyKey(paymentId),
      paymentId,
      amount,
      currency,
    });
    const outcome = await this.results.apply(tx, paymentId, result);
    if (!outcome.applied) this.logger.log(`payment ${paymentId} was already ${outcome.status}; gateway result ignored`);
  }
}
