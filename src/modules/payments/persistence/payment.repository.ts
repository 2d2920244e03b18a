import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
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
 * The transitions are those of docs/adr/0015-order-flow.md and SPEC.md: pending → confirmed | failed,
 * confirmed → refunded.
 */
@Injectable()
export class PaymentRepository {
  async find(tx: EntityManager, id: string): Promise<PaymentEntity | null> {
    return tx.getRepository(PaymentEntity).findOneBy({ id });
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
    const [rows]: [Array<{ status: PaymentStatus }>, number] = await tx.query(
      `UPDATE payments_payment SET gateway_ref = $2, updated_at = now()
       WHERE id = $1 AND status = 'pending' AND gateway_ref IS NULL
       RETURNING status`,
      [id, gatewayRef],
    );
    return rows.length > 0;
  }

  /**
   * pending → confirmed. The caller holds the reference lock (reference-lock.ts): the reference's
   * other confirmed payments are counted in the same statement, after that lock was granted, and
   * every change to that set holds the same lock, so the count is current.
   */
  async confirm(tx: EntityManager, id: string, gatewayRef: string): Promise<ConfirmedPayment | undefined> {
    const [rows]: [ConfirmedPayment[], number] = await tx.query(
      `UPDATE payments_payment p
       SET status = 'confirmed', gateway_ref = $2, confirmed_at = now(), updated_at = now()
       WHERE p.id = $1 AND p.status = 'pending'
       RETURNING p.purpose, p.reference_id, p.owner_id, p.amount, p.currency,
         (SELECT count(*)::int FROM payments_payment o
          WHERE o.purpose = p.purpose AND o.reference_id = p.reference_id AND o.status = 'confirmed'
            AND o.id <> p.id) AS others`,
      [id, gatewayRef],
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
    const [rows]: [MovedPayment[], number] = await tx.query(
      `UPDATE payments_payment
       SET status = 'failed', failure_reason = $2, gateway_ref = coalesce($3, gateway_ref), updated_at = now()
       WHERE id = $1 AND status = 'pending'
       RETURNING purpose, reference_id, owner_id, amount, currency`,
      [id, reason, gatewayRef],
    );
    return rows[0];
  }

  /** confirmed → refunded. */
  async refund(tx: EntityManager, id: string, reason: string): Promise<MovedPayment | undefined> {
    const [rows]: [MovedPayment[], number] = await tx.query(
      `UPDATE payments_payment
       SET status = 'refunded', refunded_at = now(), refund_reason = $2, updated_at = now()
       WHERE id = $1 AND status = 'confirmed'
       RETURNING purpose, reference_id, owner_id, amount, currency`,
      [id, reason],
    );
    return rows[0];
  }
}
