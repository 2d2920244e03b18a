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
import { Payables } from '../application/payables.js';
import { type PaymentPurpose, PaymentRequestedV1, type PaymentRequestedV1Payload } from '../events/index.js';
import { awaitsCharge } from '../domain/payment.js';
import { GatewayRequestRejectedError, PAYMENT_GATEWAY, type PaymentGateway } from '../gateway/payment-gateway.js';
import { PaymentRepository } from '../persistence/payment.repository.js';

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
 * ({@link PaymentsApi.resolvePending}) from deciding the payment while a charge is in flight.
 *
 * Every attempt names the same charge (the adapter derives its idempotency key from the payment
 * id), and a charge an earlier attempt took without hearing back (a timeout, a crash, a
 * redelivery) is found, not taken again: the HTTP adapter looks it up before it charges
 * (docs/adr/0018). Timeouts and 5xx are thrown and retried by the outbox with backoff. The result
 * is applied with the compare-and-set of {@link GatewayResultApplier}: if the webhook got there
 * first, nothing happens; a `pending` charge leaves the payment pending for the webhook or the
 * reconciler.
 */
@Injectable()
@HandlesEvents(chargeGatewaySubscription)
export class ChargeGatewayWhenPaymentRequestedListener implements EventHandler<PaymentRequestedV1Payload> {
  private readonly logger = new Logger(ChargeGatewayWhenPaymentRequestedListener.name);

  constructor(
    @Inject(PAYMENT_GATEWAY) private readonly gateway: PaymentGateway,
    private readonly results: GatewayResultApplier,
    private readonly payables: Payables,
    private readonly payments: PaymentRepository,
  ) {}

  async handle(event: Envelope<PaymentRequestedV1Payload>, tx: EntityManager): Promise<void> {
    const { paymentId, purpose, referenceId, amount, currency, statementReference } = event.payload;
    await lockPaymentCharge(tx, paymentId, 'wait');
    const status = await this.payments.statusOf(tx, paymentId);
    // The event commits with its payment row; without it there is nothing to charge, ever.
    if (!status) throw new NonRetryableError(`payment ${paymentId} does not exist`);
    // Confirmed by the webhook, or resolved by the reconciler: never charge a decided payment.
    if (!awaitsCharge(status)) return;

    const result = await this.gateway.charge({
      paymentId,
      amount,
      currency,
      reference: statementReference ?? (await this.statementReferenceOf(tx, purpose, referenceId)),
      purpose,
    });
    // The event committed with the payment row (the inbox checked it against PostgreSQL), so its
    // purpose and reference are the payment's: the confirmation need not read them again.
    const outcome = await this.results.apply(tx, paymentId, result, { purpose, referenceId });
    if (result.status === 'pending') {
      this.logger.log(
        `payment ${paymentId}: charge ${result.gatewayRef} is pending at the gateway; awaiting its decision`,
      );
    } else if (!outcome.applied) {
      this.logger.log(`payment ${paymentId} was already ${outcome.status}; gateway result ignored`);
    }
  }

  /** For events appended before they carried it: the reference's statement text, or its id. */
  private async statementReferenceOf(tx: EntityManager, purpose: PaymentPurpose, referenceId: string): Promise<string> {
    const payable = await this.payables.resolver(purpose)?.resolve(tx, referenceId);
    return payable?.statementReference ?? referenceId;
  }
}
