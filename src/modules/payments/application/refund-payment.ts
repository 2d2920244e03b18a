import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { OutboxWriter } from '../../../outbox/index.js';
import { LedgerApi, reversed } from '../../ledger/index.js';
import { PaymentRefundedV1 } from '../events/index.js';
import { PaymentRepository } from '../persistence/payment.repository.js';
import { PAYMENT_RECEIVED_KIND, PAYMENT_REFUNDED_KIND, paymentLedgerSource } from './payment-postings.js';

/**
 * Refunds confirmed payments (SPEC.md, "Orders" point 5): a compare-and-set of `confirmed` to
 * `refunded`, the reversal of the payment's own ledger posting as new entries, and
 * `payments.payment-refunded`, all in the caller's transaction. Only the call that moves the
 * payment posts and publishes, so a redelivered event or a second cause (the order closed, and the
 * payment was a duplicate) refunds once; the reversal is keyed by (source, kind, account) as well,
 * so even a replay around the compare-and-set could not post it twice.
 */
@Injectable()
export class PaymentRefunder {
  constructor(
    private readonly outbox: OutboxWriter,
    private readonly ledger: LedgerApi,
    private readonly payments: PaymentRepository,
  ) {}

  /**
   * Refunds payment `paymentId` for `reason` in the caller's transaction `tx`.
   * @returns true when this call refunded it; false when it is not `confirmed` (still pending,
   *   failed, already refunded, or no such payment), in which case nothing changed.
   */
  async refund(tx: EntityManager, paymentId: string, reason: string): Promise<boolean> {
    const moved = await this.payments.refund(tx, paymentId, reason);
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
      payload: {
        paymentId,
        purpose: moved.purpose,
        referenceId: moved.reference_id,
        amount: Number(moved.amount),
        currency: moved.currency,
        reason,
      },
    });
    return true;
  }
}
