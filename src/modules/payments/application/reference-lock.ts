import type { EntityManager } from 'typeorm';
import type { PaymentPurpose } from '../events/index.js';

/** The advisory-lock key of one paid reference (a debt, an order). */
export function paymentReferenceLockKey(purpose: PaymentPurpose, referenceId: string): string {
  return `payments-reference:${purpose}:${referenceId}`;
}

/**
 * Takes the transaction-scoped advisory lock of the reference `purpose`/`referenceId`, held until
 * the caller's transaction ends. Everything that decides from the set of a reference's payments
 * takes it first: a payment request (the pending sum), a confirmation (is the reference closed or
 * paid already?) and the refund of an order that closed (which payments are confirmed?), so each
 * sees what the others committed and none decides on a stale picture (no write skew).
 *
 * Lock order: this lock before any `payments_payment` row lock, everywhere, so callers cannot
 * deadlock each other. Inside it, payable resolvers may lock their own rows (a debt, an order).
 */
export async function lockPaymentReference(
  tx: EntityManager,
  purpose: PaymentPurpose,
  referenceId: string,
): Promise<void> {
  await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [
    paymentReferenceLockKey(purpose, referenceId),
  ]);
}
