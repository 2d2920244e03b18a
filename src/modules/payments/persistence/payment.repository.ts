import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { paymentCompareAndSet } from '../domain/payment.js';
import type { PaymentPurpose } from '../events/index.js';
import { PaymentEntity, type PaymentStatus } from './payment.entity.js';

/** A payment row a state change moved, as its RETURNING clause gives it. */
export interface MovedPayment {
  purpose: PaymentPurpose;
  reference_id: string;
  owner_id: string;
  amount: string;
  currency: string;
}

/** A payment just confirmed, with the reference's other confirmed payments (counted under the reference lock). */
export interface ConfirmedPayment extends MovedPayment {
  others: number;
}

/** What a new payment is inserted with; PostgreSQL fills in created_at and updated_at. */
export type NewPayment = Omit<PaymentEntity, 'createdAt' | 'updatedAt'>;

/**
 * The payment aggregate's one home: every statement that writes `payments_payment`, and the reads
 * its state changes depend on (test/architecture/aggregate-homes.e2e-spec.ts keeps every other file
 * from writing the table). Each state change is a compare-and-set on `status` in the caller's
 * transaction: it returns the moved row, or undefined when the payment was not in the expected state
 * (someone else moved it first, or there is no such payment), and the caller then changes nothing.
 * Which transitions are legal, and which status each one moves from and to, is decided by the
 * domain model (domain/payment.ts, docs/adr/0048-payment-aggregate.md): each statement below takes
 * its expected and its new status from `paymentCompareAndSet`, and stays one atomic statement.
 */
@Injectable()
export class PaymentRepository {
  async find(tx: EntityManager, id: string): Promise<PaymentEntity | null> {
    return tx.getRepository(PaymentEntity).findOneBy({ id });
  }

  /** The gateway's reference of a payment's charge; undefined when there is no such payment. */
  async gatewayRefOf(tx: EntityManager, id: string): Promise<{ gatewayRef: string | null } | undefined> {
    const [row]: Array<{ gateway_ref: string | null }> = await tx.query(
      `SELECT gateway_ref FROM payments_payment WHERE id = $1`,
      [id],
    );
    return row && { gatewayRef: row.gateway_ref };
  }

  /** Ids of a reference's payments in `status`, in id order (read under the reference lock when it matters). */
  async idsOfReference(
    tx: EntityManager,
    purpose: PaymentPurpose,
    referenceId: string,
    status: PaymentStatus,
  ): Promise<string[]> {
    const rows: Array<{ id: string }> = await tx.query(
      `SELECT id FROM payments_payment
       WHERE purpose = $1 AND reference_id = $2 AND status = $3
       ORDER BY id`,
      [purpose, referenceId, status],
    );
    return rows.map((row) => row.id);
  }

  /** The references of `purpose` among `referenceIds` that have a payment in `status`. */
  async referencesWith(
    tx: EntityManager,
    purpose: PaymentPurpose,
    referenceIds: readonly string[],
    status: PaymentStatus,
  ): Promise<Set<string>> {
    const rows: Array<{ reference_id: string }> = await tx.query(
      `SELECT DISTINCT reference_id FROM payments_payment
       WHERE purpose = $1 AND reference_id = ANY($2::text[]) AND status = $3`,
      [purpose, referenceIds, status],
    );
    return new Set(rows.map((row) => row.reference_id));
  }

  /** Ids of payments in `status` created more than `olderThanMs` ago, oldest first, at most `limit`. */
  async idsOlderThan(tx: EntityManager, status: PaymentStatus, olderThanMs: number, limit: number): Promise<string[]> {
    const rows: Array<{ id: string }> = await tx.query(
      `SELECT id FROM payments_payment
       WHERE status = $1 AND created_at < now() - $2 * interval '1 millisecond'
       ORDER BY created_at LIMIT $3`,
      [status, olderThanMs, limit],
    );
    return rows.map((row) => row.id);
  }

  /** Every payment in one of `statuses` with its amount as exact text, in id order (the ledger reconciler's view). */
  async amountsIn(
    tx: EntityManager,
    statuses: readonly PaymentStatus[],
  ): Promise<Array<{ id: string; status: PaymentStatus; amount: string; currency: string }>> {
    return tx.query(
      `SELECT id, status, amount::text AS amount, currency FROM payments_payment
       WHERE status = ANY($1::text[]) ORDER BY id`,
      [statuses],
    );
  }

  /** The inserted payment, with the columns PostgreSQL filled in (no re-read). */
  async insert(tx: EntityManager, payment: NewPayment): Promise<PaymentEntity> {
    const { generatedMaps } = await tx.getRepository(PaymentEntity).insert(payment);
    return { ...payment, ...generatedMaps[0] } as PaymentEntity;
  }

  /** A reference's pending sum (as text: exact) and number of confirmed payments; read under its reference lock. */
  async standingOf(
    tx: EntityManager,
    purpose: PaymentPurpose,
    referenceId: string,
  ): Promise<{ pending: string; confirmed: number }> {
    const [row]: Array<{ pending: string; confirmed: number }> = await tx.query(
      `SELECT coalesce(sum(amount) FILTER (WHERE status = 'pending'), 0)::text AS pending,
              count(*) FILTER (WHERE status = 'confirmed')::int AS confirmed
       FROM payments_payment WHERE purpose = $1 AND reference_id = $2`,
      [purpose, referenceId],
    );
    return row!;
  }

  async referenceOf(
    tx: EntityManager,
    id: string,
  ): Promise<{ purpose: PaymentPurpose; referenceId: string } | undefined> {
    const [row]: Array<{ purpose: PaymentPurpose; reference_id: string }> = await tx.query(
      `SELECT purpose, reference_id FROM payments_payment WHERE id = $1`,
      [id],
    );
    return row && { purpose: row.purpose, referenceId: row.reference_id };
  }

  async statusOf(tx: EntityManager, id: string): Promise<PaymentStatus | undefined> {
    const [row]: Array<{ status: PaymentStatus }> = await tx.query(
      `SELECT status FROM payments_payment WHERE id = $1`,
      [id],
    );
    return row?.status;
  }

  /** A pending payment's charge awaits the provider's decision: records its reference once. True when recorded. */
  async recordPendingCharge(tx: EntityManager, id: string, gatewayRef: string): Promise<boolean> {
    const { from, to } = paymentCompareAndSet('record-pending-charge');
    const [rows]: [Array<{ status: PaymentStatus }>, number] = await tx.query(
      `UPDATE payments_payment SET status = $4, gateway_ref = $2, updated_at = now()
       WHERE id = $1 AND status = $3 AND gateway_ref IS NULL
       RETURNING status`,
      [id, gatewayRef, from, to],
    );
    return rows.length > 0;
  }

  /**
   * pending → confirmed. The caller holds the reference lock (reference-lock.ts): the reference's
   * other confirmed payments are counted in the same statement, after that lock was granted, and
   * every change to that set holds the same lock, so the count is current.
   */
  async confirm(tx: EntityManager, id: string, gatewayRef: string): Promise<ConfirmedPayment | undefined> {
    const { from, to } = paymentCompareAndSet('confirm');
    const [rows]: [ConfirmedPayment[], number] = await tx.query(
      `UPDATE payments_payment p
       SET status = $4, gateway_ref = $2, confirmed_at = now(), updated_at = now()
       WHERE p.id = $1 AND p.status = $3
       RETURNING p.purpose, p.reference_id, p.owner_id, p.amount, p.currency,
         (SELECT count(*)::int FROM payments_payment o
          WHERE o.purpose = p.purpose AND o.reference_id = p.reference_id AND o.status = $4
            AND o.id <> p.id) AS others`,
      [id, gatewayRef, from, to],
    );
    return rows[0];
  }

  /** pending → failed, keeping a gateway reference already recorded when none is given. */
  async fail(
    tx: EntityManager,
    id: string,
    reason: string,
    gatewayRef: string | null,
  ): Promise<MovedPayment | undefined> {
    const { from, to } = paymentCompareAndSet('fail');
    const [rows]: [MovedPayment[], number] = await tx.query(
      `UPDATE payments_payment
       SET status = $5, failure_reason = $2, gateway_ref = coalesce($3, gateway_ref), updated_at = now()
       WHERE id = $1 AND status = $4
       RETURNING purpose, reference_id, owner_id, amount, currency`,
      [id, reason, gatewayRef, from, to],
    );
    return rows[0];
  }

  /** confirmed → refunding: the refund is decided, for `reason`; the provider has not been asked yet. */
  async requestRefund(tx: EntityManager, id: string, reason: string): Promise<MovedPayment | undefined> {
    const { from, to } = paymentCompareAndSet('request-refund');
    const [rows]: [MovedPayment[], number] = await tx.query(
      `UPDATE payments_payment
       SET status = $4, refund_reason = $2, updated_at = now()
       WHERE id = $1 AND status = $3
       RETURNING purpose, reference_id, owner_id, amount, currency`,
      [id, reason, from, to],
    );
    return rows[0];
  }

  /** refunding → refunded, with the provider's reference of the refund it made. */
  async recordRefund(
    tx: EntityManager,
    id: string,
    refundRef: string,
  ): Promise<(MovedPayment & { refund_reason: string }) | undefined> {
    const { from, to } = paymentCompareAndSet('record-refund');
    const [rows]: [Array<MovedPayment & { refund_reason: string }>, number] = await tx.query(
      `UPDATE payments_payment
       SET status = $4, refund_ref = $2, refunded_at = now(), updated_at = now()
       WHERE id = $1 AND status = $3
       RETURNING purpose, reference_id, owner_id, amount, currency, refund_reason`,
      [id, refundRef, from, to],
    );
    return rows[0];
  }

  /**
   * Stores the provider's refund reference on a payment refunded before references were recorded
   * (the retired `payments.refund-at-gateway` drains that release's refunds): only on a `refunded`
   * payment without one, so a reference recorded already is never overwritten. Not a transition:
   * the status stays. True when stored.
   */
  async storeLateRefundRef(tx: EntityManager, id: string, refundRef: string): Promise<boolean> {
    const refunded: PaymentStatus = 'refunded';
    const [rows]: [Array<{ id: string }>, number] = await tx.query(
      `UPDATE payments_payment SET refund_ref = $2, updated_at = now()
       WHERE id = $1 AND status = $3 AND refund_ref IS NULL
       RETURNING id`,
      [id, refundRef, refunded],
    );
    return rows.length > 0;
  }
}
