import { EntryKinds } from '../../ledger/index.js';

/** The ledger kind of the posting a confirmed payment makes (source `payment-<id>`). */
export const PAYMENT_RECEIVED_KIND = EntryKinds.paymentReceived;

/**
 * The ledger kind of a refund's posting: the reversal of the payment's {@link PAYMENT_RECEIVED_KIND}
 * posting, as new entries under the same source (never an edit of the old ones).
 */
export const PAYMENT_REFUNDED_KIND = EntryKinds.paymentRefunded;

/** The ledger source of a payment's own postings: one per payment, whoever confirmed or refunded it. */
export function paymentLedgerSource(paymentId: string): string {
  return `payment-${paymentId}`;
}
