/** What the paid-for module allows, as far as the rules below need it (mirrors `Payable`). */
export interface PayableTerms {
  currency: string;
  /** Debts accept partial payments up to what is outstanding; orders must be paid exactly. */
  rule: { kind: 'up-to'; max: number } | { kind: 'exactly'; amount: number };
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
  | { reason: 'payment-pending'; detail: string };

/**
 * Checks `offered` against what the reference accepts. `pending` is the sum of this reference's
 * payments still awaiting the gateway: they count against what is outstanding, so two concurrent
 * payments cannot together pay more than is owed (and an order cannot be paid twice at once).
 * Returns the refusal, or `undefined` when the payment may go ahead.
 */
export function refusePayment(
  terms: PayableTerms,
  offered: OfferedPayment,
  pending: number,
): PaymentRefusal | undefined {
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

/**
 * Who may pay for what (API.md, "Payments"): citizens pay debts, customers pay orders, admins pay
 * either. Decided before the reference is looked up, so a refusal (403) says nothing about it.
 */
export function mayPayFor(roles: readonly string[], purpose: 'debt' | 'order'): boolean {
  if (roles.includes('admin')) return true;
  return purpose === 'debt' ? roles.includes('citizen') : roles.includes('customer');
}

/**
 * The gateway idempotency key of a payment's charge: derived from the payment id alone, so every
 * attempt (retry, redelivery, reconciliation) names the same charge and the gateway never takes
 * the money twice.
 */
export function chargeIdempotencyKey(paymentId: string): string {
  return `pay-${paymentId}`;
}
