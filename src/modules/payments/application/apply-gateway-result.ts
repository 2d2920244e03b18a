import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { OutboxWriter } from '../../../outbox/index.js';
import { Accounts, LedgerApi } from '../../ledger/index.js';
import { PaymentConfirmedV1, PaymentFailedV1, type PaymentPurpose } from '../events/index.js';
import type { ChargeResult } from '../gateway/payment-gateway.js';
import type { PaymentStatus } from '../persistence/payment.entity.js';

/** The ledger kind of the posting a confirmed payment makes (source `payment-<id>`). */
export const PAYMENT_RECEIVED_KIND = 'payment-received';

/** The ledger source of a payment's own postings: one per payment, whoever confirmed it. */
export function paymentLedgerSource(paymentId: string): string {
  return `payment-${paymentId}`;
}

/** What applying a gateway result did. */
export interface ApplyOutcome {
  /** True when this call moved the payment out of `pending`; false when someone else already had. */
  applied: boolean;
  /** The payment's status afterwards; `undefined` when there is no such payment. */
  status: PaymentStatus | undefined;
}

interface MovedRow {
  purpose: PaymentPurpose;
  reference_id: string;
  amount: string;
  currency: string;
}

/**
 * Applies what the gateway says about a payment's charge - from the charging worker, the signed
 * webhook or the reconciler alike - with a compare-and-set on `status = 'pending'`: whichever
 * arrives first moves the payment and appends its event, every later one finds no pending row and
 * does nothing. The row lock the UPDATE takes serialises racing callers; the loser re-evaluates
 * the condition after the winner commits (READ COMMITTED), so exactly one wins.
 */
@Injectable()
export class GatewayResultApplier {
  private readonly logger = new Logger(GatewayResultApplier.name);

  constructor(
    private readonly outbox: OutboxWriter,
    private readonly ledger: LedgerApi,
  ) {}

  /** Applies `result` to payment `paymentId` in the caller's transaction `tx`. */
  async apply(tx: EntityManager, paymentId: string, result: ChargeResult): Promise<ApplyOutcome> {
    return result.status === 'succeeded'
      ? this.confirm(tx, paymentId, result.gatewayRef)
      : this.fail(tx, paymentId, result.reason, result.gatewayRef ?? null);
  }

  private async confirm(tx: EntityManager, paymentId: string, gatewayRef: string): Promise<ApplyOutcome> {
    const [rows]: [MovedRow[], number] = await tx.query(
      `UPDATE payments_payment
       SET status = 'confirmed', gateway_ref = $2, confirmed_at = now(), updated_at = now()
       WHERE id = $1 AND status = 'pending'
       RETURNING purpose, reference_id, amount, currency`,
      [paymentId, gatewayRef],
    );
    const [moved] = rows;
    if (!moved) return this.unchanged(tx, paymentId, 'succeeded');
    const amount = Number(moved.amount);
    await this.ledger.post(tx, {
      source: paymentLedgerSource(paymentId),
      kind: PAYMENT_RECEIVED_KIND,
      currency: moved.currency,
      legs: [
        { account: Accounts.gatewayCash(), amount },
        { account: Accounts.paymentsClearing(), amount: -amount },
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
    return { applied: true, status: 'confirmed' };
  }

  private async fail(
    tx: EntityManager,
    paymentId: string,
    reason: string,
    gatewayRef: string | null,
  ): Promise<ApplyOutcome> {
    const [rows]: [MovedRow[], number] = await tx.query(
      `UPDATE payments_payment
       SET status = 'failed', failure_reason = $2, gateway_ref = coalesce($3, gateway_ref), updated_at = now()
       WHERE id = $1 AND status = 'pending'
       RETURNING purpose, reference_id, amount, currency`,
      [paymentId, reason, gatewayRef],
    );
    const [moved] = rows;
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
    const [row]: Array<{ status: PaymentStatus }> = await tx.query(
      `SELECT status FROM payments_payment WHERE id = $1`,
      [paymentId],
    );
    if (row && charge === 'succeeded' && row.status === 'failed') {
      // Money taken for a payment already failed: only a refund can fix it; make it loud.
      this.logger.error(`payment ${paymentId} is failed but the gateway reports a succeeded charge: refund needed`);
    }
    return { applied: false, status: row?.status };
  }
}
