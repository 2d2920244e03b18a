import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { OutboxWriter } from '../../../outbox/index.js';
import { LedgerApi, reversed } from '../../ledger/index.js';
import { PaymentRefundedV1, PaymentRefundRequestedV1 } from '../events/index.js';
import { type MovedPayment, PaymentRepository } from '../persistence/payment.repository.js';
import { PAYMENT_RECEIVED_KIND, PAYMENT_REFUNDED_KIND, paymentLedgerSource } from './payment-postings.js';

/** What both refund events say of the payment refunded. */
function refundOf(paymentId: string, moved: MovedPayment) {
  return {
    paymentId,
    purpose: moved.purpose,
    referenceId: moved.reference_id,
    amount: Number(moved.amount),
    currency: moved.currency,
  };
}

/**
 * Refunds confirmed payments (SPEC.md, "Orders" point 5) in two steps, so that
 * `payments.payment-refunded` states a fact the provider has confirmed
 * (docs/adr/0048-payment-aggregate.md):
 *
 * 1. {@link request}: a compare-and-set of `confirmed` to `refunding` with the reason, and
 *    `payments.payment-refund-requested`, in the caller's transaction. Only the call that moves the
 *    payment appends, so a redelivered event or a second cause (the order closed, and the payment
 *    was a duplicate) requests once.
 * 2. {@link record}, once the provider answered the refund (RefundAtGatewayWhenRequestedListener): a
 *    compare-and-set of `refunding` to `refunded` with the provider's refund reference, the
 *    reversal of the payment's own ledger posting as new entries, and `payments.payment-refunded`
 *    carrying the reference, all in one transaction. The reversal is keyed by (source, kind,
 *    account) as well, so even a replay around the compare-and-set could not post it twice.
 */
@Injectable()
export class PaymentRefunder {
  constructor(
    private readonly outbox: OutboxWriter,
    private readonly ledger: LedgerApi,
    private readonly payments: PaymentRepository,
  ) {}

  /**
   * Requests the refund of payment `paymentId` for `reason` in the caller's transaction `tx`.
   * @returns true when this call requested it; false when it is not `confirmed` (still pending,
   *   failed, refunding or refunded already, or no such payment), in which case nothing changed.
   */
  async request(tx: EntityManager, paymentId: string, reason: string): Promise<boolean> {
    const moved = await this.payments.requestRefund(tx, paymentId, reason);
    if (!moved) return false;
    await this.outbox.append(tx, {
      contract: PaymentRefundRequestedV1,
      aggregateId: paymentId,
      payload: { ...refundOf(paymentId, moved), reason },
    });
    return true;
  }

  /**
   * Records that the provider refunded payment `paymentId` under `refundRef`, in `tx`.
   * @returns true when this call recorded it; false when the payment is not `refunding` (recorded
   *   already by a concurrent delivery, or no such payment), in which case nothing changed.
   */
  async record(tx: EntityManager, paymentId: string, refundRef: string): Promise<boolean> {
    const moved = await this.payments.recordRefund(tx, paymentId, refundRef);
    if (!moved) return false;

    const source = paymentLedgerSource(paymentId);
    const received = await this.ledger.entries(tx, source, PAYMENT_RECEIVED_KIND);
    // Every confirmation posts in the transaction that confirms: a confirmed payment without its
    // posting is corrupt data, and refunding it would leave the ledger out of balance with payments.
    if (received.length === 0) {
      throw new Error(`confirmed payment ${paymentId} has no ${PAYMENT_RECEIVED_KIND} posting`);
    }
    await this.ledger.post(tx, {
      source,
      kind: PAYMENT_REFUNDED_KIND,
      currency: moved.currency,
      legs: reversed(received),
    });
    await this.outbox.append(tx, {
      contract: PaymentRefundedV1,
      aggregateId: paymentId,
      payload: { ...refundOf(paymentId, moved), reason: moved.refund_reason, refundRef },
    });
    return true;
  }
}
