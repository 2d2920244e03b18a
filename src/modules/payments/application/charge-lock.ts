import type { EntityManager } from 'typeorm';

/**
 * Takes the transaction-scoped advisory lock of payment `paymentId`'s charge: held by the charging
 * worker from its status check through the gateway call to the compare-and-set, and by the
 * reconciler while it decides from the gateway's records. It is not a row lock: the webhook, reads
 * and everything else go on; only these two exclude each other, so the reconciler can never fail
 * a payment ("no charge at gateway") while a charge for it is being taken.
 *
 * `wait` blocks until the lock is free; `try` returns false at once when it is held.
 */
export async function lockPaymentCharge(tx: EntityManager, paymentId: string, mode: 'wait' | 'try'): Promise<boolean> {
  const key = `payments-charge:${paymentId}`;
  if (mode === 'wait') {
    await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [key]);
    return true;
  }
  const [{ locked }]: Array<{ locked: boolean }> = await tx.query(
    `SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0)) AS locked`,
    [key],
  );
  return locked;
}
