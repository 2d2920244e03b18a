import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { OutboxWriter } from '../../../outbox/index.js';
import { Accounts, LedgerApi } from '../../ledger/index.js';
import { refundAtConfirm } from '../domain/payment-rules.js';
import { PaymentConfirmedV1, PaymentFailedV1, type PaymentPurpose } from '../events/index.js';
import type { ChargeResult } from '../gateway/payment-gateway.js';
import type { PaymentStatus } from '../persistence/payment.entity.js';
import { type ConfirmedPayment, type MovedPayment, PaymentRepository } from '../persistence/payment.repository.js';
import { Payables } from './payables.js';
import { PAYMENT_RECEIVED_KIND, paymentLedgerSource } from './payment-postings.js';
import { lockPaymentReference } from './reference-lock.js';
import { PaymentRefunder } from './refund-payment.js';

/** What applying a gateway result did. */
export interface ApplyOutcome {
  /** True when this call moved the payment out of `pending`; false when someone else already had. */
  applied: boolean;
  /**
   * The payment's status afterwards; `undefined` when there is no such payment. A confirmation
   * that had to be refunded at once (see {@link GatewayResultApplier}) reports `refunding`: the
   * refund is requested, and becomes `refunded` once the provider has made it.
   */
  status: PaymentStatus | undefined;
}

/** What a payment pays for; fixed when the payment is inserted. */
export interface PaymentReference {
  purpose: PaymentPurpose;
  referenceId: string;
}

/**
 * The account a received payment is credited to until it is applied: a debt payment waits in
 * payments clearing for debts to apply it; an order payment is held for its customer until the
 * order ships (to revenue) or the payment is refunded.
 */
function receivedInto(payment: MovedPayment): string {
  return payment.purpose === 'order' ? Accounts.customerOrders(payment.owner_id) : Accounts.paymentsClearing();
}

/**
 * Applies what the gateway says about a payment's charge - from the charging worker, the signed
 * webhook or the reconciler alike - with a compare-and-set on `status = 'pending'`: whichever
 * arrives first moves the payment and appends its event, every later one finds no pending row and
 * does nothing. The row lock the UPDATE takes serialises racing callers; the loser re-evaluates
 * the condition after the winner commits (READ COMMITTED), so exactly one wins.
 *
 * A confirmation that comes too late is given back in the same transaction: when the reference
 * was closed meanwhile (an order rejected or cancelled while its charge was under way), or when an
 * exactly-priced reference was already paid by another payment, the payment is confirmed (posting
 * and event, as always) and then its refund is requested from {@link PaymentRefunder}.
 */
@Injectable()
export class GatewayResultApplier {
  private readonly logger = new Logger(GatewayResultApplier.name);

  constructor(
    private readonly outbox: OutboxWriter,
    private readonly ledger: LedgerApi,
    private readonly payables: Payables,
    private readonly refunder: PaymentRefunder,
    private readonly payments: PaymentRepository,
  ) {}

  /**
   * Applies `result` to payment `paymentId` in the caller's transaction `tx`. A `pending` charge
   * decides nothing: the payment stays pending (its charge's reference is recorded) until the
   * webhook or the reconciler's lookup brings the final answer.
   *
   * `known`: the payment's purpose and reference when the caller has them from the payment's own
   * committed event (the charging worker); they never change after the insert, so the confirmation
   * need not read them again.
   */
  async apply(
    tx: EntityManager,
    paymentId: string,
    result: ChargeResult,
    known?: PaymentReference,
  ): Promise<ApplyOutcome> {
    switch (result.status) {
      case 'succeeded':
        return this.confirm(tx, paymentId, result.gatewayRef, known);
      case 'declined':
        return this.fail(tx, paymentId, result.reason, result.gatewayRef ?? null);
      case 'pending':
        return this.awaitDecision(tx, paymentId, result.gatewayRef);
    }
  }

  private async awaitDecision(tx: EntityManager, paymentId: string, gatewayRef: string): Promise<ApplyOutcome> {
    if (await this.payments.recordPendingCharge(tx, paymentId, gatewayRef))
      return { applied: false, status: 'pending' };
    return this.unchanged(tx, paymentId, 'pending');
  }

  private async confirm(
    tx: EntityManager,
    paymentId: string,
    gatewayRef: string,
    known: PaymentReference | undefined,
  ): Promise<ApplyOutcome> {
    const target = known ?? (await this.payments.referenceOf(tx, paymentId));
    if (!target) return this.unchanged(tx, paymentId, 'succeeded');
    // The reference lock, taken before the payment's row lock (the order every path takes them in,
    // so no deadlock), makes this confirmation and the refund of a closed order see each other:
    // see refundIfTooLate.
    await lockPaymentReference(tx, target.purpose, target.referenceId);

    // The reference's other confirmed payments are counted by the same statement (refundIfTooLate
    // needs them), current because of the reference lock above.
    const moved = await this.payments.confirm(tx, paymentId, gatewayRef);
    if (!moved) return this.unchanged(tx, paymentId, 'succeeded');
    const amount = Number(moved.amount);
    await this.ledger.post(tx, {
      source: paymentLedgerSource(paymentId),
      kind: PAYMENT_RECEIVED_KIND,
      currency: moved.currency,
      legs: [
        { account: Accounts.gatewayCash(), amount },
        { account: receivedInto(moved), amount: -amount },
      ],
    });
    await this.outbox.append(tx, {
      contract: PaymentConfirmedV1,
      aggregateId: paymentId,
      payload: {
        paymentId,
        purpose: moved.purpose,
        referenceId: moved.reference_id,
        amount,
        currency: moved.currency,
        gatewayRef,
      },
    });
    const refunded = await this.refundIfTooLate(tx, paymentId, moved);
    return { applied: true, status: refunded ? 'refunding' : 'confirmed' };
  }

  /**
   * Refunds the payment just confirmed when its reference can no longer take it: closed, or
   * (exactly-priced) paid by another confirmed payment. Returns whether it requested the refund.
   *
   * Why no confirmed payment of a closed order escapes a refund (no write skew): the closing side
   * (fulfilment) commits the order's new standing together with `fulfilment.order-rejected` /
   * `-cancelled`, and the refund subscriber handles that event later, under the same reference
   * lock this confirmation holds from before its compare-and-set until it commits. Under READ
   * COMMITTED every statement sees what committed before it started, so either the closing commit
   * came before the standing read below (this confirmation sees `closed` and refunds), or it came
   * after; then the subscriber, which starts after the closing commit, can take the lock only once
   * this transaction has committed, and its query then finds this payment `confirmed` and refunds
   * it. Two confirmations of one reference are serialised the same way: the second sees the first.
   */
  private async refundIfTooLate(tx: EntityManager, paymentId: string, moved: ConfirmedPayment): Promise<boolean> {
    const payable = await this.payables.resolver(moved.purpose)?.resolve(tx, moved.reference_id);
    if (!payable) {
      this.logger.warn(`payment ${paymentId} was confirmed for ${moved.purpose} ${moved.reference_id}, now unknown`);
      return false;
    }
    const why = refundAtConfirm(payable, moved.others);
    if (!why) return false;
    const reason =
      why === 'reference-closed'
        ? `${moved.purpose} closed before the payment was confirmed`
        : `duplicate payment: ${moved.purpose} ${moved.reference_id} was already paid`;
    this.logger.warn(`payment ${paymentId} is refunded at confirmation: ${reason}`);
    return this.refunder.request(tx, paymentId, reason);
  }

  private async fail(
    tx: EntityManager,
    paymentId: string,
    reason: string,
    gatewayRef: string | null,
  ): Promise<ApplyOutcome> {
    const moved = await this.payments.fail(tx, paymentId, reason, gatewayRef);
    if (!moved) return this.unchanged(tx, paymentId, 'declined');
    await this.outbox.append(tx, {
      contract: PaymentFailedV1,
      aggregateId: paymentId,
      payload: { paymentId, purpose: moved.purpose, referenceId: moved.reference_id, reason },
    });
    return { applied: true, status: 'failed' };
  }

  /** Nothing to do: the payment is not pending (or not there). Flags a charge that contradicts it. */
  private async unchanged(tx: EntityManager, paymentId: string, charge: ChargeResult['status']): Promise<ApplyOutcome> {
    const status = await this.payments.statusOf(tx, paymentId);
    if (charge === 'succeeded' && status === 'failed') {
      // Money taken for a payment already failed: only a refund can fix it; make it loud.
      this.logger.error(`payment ${paymentId} is failed but the gateway reports a succeeded charge: refund needed`);
    }
    return { applied: false, status };
  }
}
