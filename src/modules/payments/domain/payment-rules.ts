/** What the paid-for module allows, as far as the rules below need it (mirrors `Payable`). */
export interface PayableTerms {
  currency: string;
  /** Debts accept partial payments up to what is outstanding; orders must be paid exactly. */
  rule: { kind: 'up-to'; max: number } | { kind: 'exactly'; amount: number };
  /**
   * Whether the reference still takes payments (default `open`): `settled` when it is paid
   * already, `closed` when it ended without being delivered (a rejected or cancelled order).
   */
  standing?: 'open' | 'settled' | 'closed';
}

/** The money a payment request offers. */
export interface OfferedPayment {
  amount: number;
  currency: string;
}

/** Why a payment request cannot be accepted for its reference. */
export type PaymentRefusal =
  | { reason: 'currency-mismatch'; detail: string }
  | { reason: 'amount-exceeds-outstanding'; detail: string }
  | { reason: 'amount-mismatch'; detail: string }
  | { reason: 'payment-pending'; detail: string }
  | { reason: 'already-paid'; detail: string }
  | { reason: 'reference-closed'; detail: string };

/** The refusals that describe the reference's state rather than the request (HTTP 409, not 422). */
export const CONFLICT_REFUSALS: ReadonlySet<PaymentRefusal['reason']> = new Set([
  'payment-pending',
  'already-paid',
  'reference-closed',
]);

/**
 * Checks `offered` against what the reference accepts. A reference that is `closed` or `settled`
 * takes no payment at all, whatever is offered. `pending` is the sum of this reference's payments
 * still awaiting the gateway: they count against what is outstanding, so two concurrent payments
 * cannot together pay more than is owed (and an order cannot be paid twice at once). `confirmed`
 * is the number of its payments already confirmed: an exactly-priced reference with one is paid,
 * even before its owner has marked it `settled` (that follows asynchronously).
 * Returns the refusal, or `undefined` when the payment may go ahead.
 */
export function refusePayment(
  terms: PayableTerms,
  offered: OfferedPayment,
  pending: number,
  confirmed = 0,
): PaymentRefusal | undefined {
  if (terms.standing === 'closed') {
    return {
      reason: 'reference-closed',
      detail: 'The reference was closed (rejected or cancelled) and takes no more payments.',
    };
  }
  if (terms.standing === 'settled' || (terms.rule.kind === 'exactly' && confirmed > 0)) {
    return { reason: 'already-paid', detail: 'The reference is paid already; it cannot be paid twice.' };
  }
  if (offered.currency !== terms.currency) {
    return {
      reason: 'currency-mismatch',
      detail: `The payment is in ${offered.currency} but the reference is payable in ${terms.currency}.`,
    };
  }
  if (terms.rule.kind === 'up-to') {
    const payable = Math.max(0, terms.rule.max - pending);
    if (offered.amount > payable) {
      return {
        reason: 'amount-exceeds-outstanding',
        detail:
          pending > 0
            ? `The amount ${offered.amount} exceeds what is still payable (${payable}: outstanding ${terms.rule.max} less ${pending} in pending payments).`
            : `The amount ${offered.amount} exceeds the outstanding amount ${terms.rule.max}.`,
      };
    }
    return undefined;
  }
  if (offered.amount !== terms.rule.amount) {
    return {
      reason: 'amount-mismatch',
      detail: `The amount ${offered.amount} must equal the amount due, ${terms.rule.amount}.`,
    };
  }
  if (pending > 0) {
    return {
      reason: 'payment-pending',
      detail: `A payment of ${pending} for this reference is already pending; it cannot be paid twice.`,
    };
  }
  return undefined;
}

/** Why a payment that was just confirmed must be given back at once. */
export type RefundAtConfirm = 'reference-closed' | 'duplicate';

/**
 * Decides, right after a payment is confirmed, whether it must be refunded at once: its reference
 * was closed meanwhile (the order was rejected or cancelled while the charge was under way), or it
 * is exactly-priced and `otherConfirmed` (its other payments already confirmed) shows it was paid
 * by another payment. Debts take partial payments, so further confirmed payments are no duplicates.
 */
export function refundAtConfirm(terms: PayableTerms, otherConfirmed: number): RefundAtConfirm | undefined {
  if (terms.standing === 'closed') return 'reference-closed';
  if (terms.rule.kind === 'exactly' && otherConfirmed > 0) return 'duplicate';
  return undefined;
}

/**
 * Who may pay for what (API.md, "Payments"): citizens pay debts, customers pay orders, admins pay
 * either. Decided before the reference is looked up, so a refusal (403) says nothing about it.
 */
export function mayPayFor(roles: readonly string[], purpose: 'debt' | 'order'): boolean {
  if (roles.includes('admin')) return true;
  return roles.includes(ownerRoleOf(purpose));
}

/**
 * The role whose subject owns what a payment of `purpose` pays, and so owns the payment: a debt
 * is a citizen's, an order a customer's. Ownership compares this role and the subject together.
 */
export function ownerRoleOf(purpose: 'debt' | 'order'): 'citizen' | 'customer' {
  return purpose === 'debt' ? 'citizen' : 'customer';
}

/**
 * The gateway idempotency key of a payment's charge: derived from the payment id alone, so every
 * attempt (retry, redelivery, reconciliation) names the same charge and the gateway never takes
 * the money twice.
 */
export function chargeIdempotencyKey(paymentId: string): string {
  return `pay-${paymentId}`;
}

/**
 * The gateway idempotency key of a payment's refund: derived from the payment id alone, so every
 * attempt (retry, redelivery, replay) names the same refund and the gateway never gives the money
 * back twice.
 */
export function refundIdempotencyKey(paymentId: string): string {
  return `refund-${paymentId}`;
}
