/**
 * The payment's life cycle (SPEC.md flow 4 and "Orders" point 5, docs/adr/0048-payment-aggregate.md),
 * as pure rules. The repository applies each transition with a compare-and-set on the status this
 * model names as its source, writing the status it names as its target, so a transition happens
 * once however often its cause (a webhook, a redelivered event, the reconciler) arrives.
 *
 * ```
 * pending ──confirm──▶ confirmed ──request-refund──▶ refunding ──record-refund──▶ refunded
 *    └─────fail──────▶ failed
 * ```
 *
 * A refund is decided (`request-refund`, with its reason) before the provider is asked, and is a
 * fact (`record-refund`: the provider's refund reference, the ledger reversal and
 * `payments.payment-refunded`) only once the provider has answered with a reference.
 *
 * `pending` also takes the reference of a charge the provider has not decided yet
 * (`record-pending-charge`), which leaves it `pending`.
 */

export const PAYMENT_STATUSES = ['pending', 'confirmed', 'refunding', 'failed', 'refunded'] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

/**
 * The statuses the API shows (API.md, `Payment`). `refunding` is internal: until the provider has
 * given the money back, the payment shows as `confirmed`.
 */
export const PAYMENT_VIEW_STATUSES = ['pending', 'confirmed', 'failed', 'refunded'] as const;
export type PaymentViewStatus = (typeof PAYMENT_VIEW_STATUSES)[number];

export function viewStatusOf(status: PaymentStatus): PaymentViewStatus {
  return status === 'refunding' ? 'confirmed' : status;
}

/** What can happen to a payment. */
export type PaymentTransition = 'record-pending-charge' | 'confirm' | 'fail' | 'request-refund' | 'record-refund';

/** Each transition's one source status and its target status: the whole state machine. */
export const PAYMENT_TRANSITIONS: Readonly<Record<PaymentTransition, { from: PaymentStatus; to: PaymentStatus }>> = {
  'record-pending-charge': { from: 'pending', to: 'pending' },
  confirm: { from: 'pending', to: 'confirmed' },
  fail: { from: 'pending', to: 'failed' },
  'request-refund': { from: 'confirmed', to: 'refunding' },
  'record-refund': { from: 'refunding', to: 'refunded' },
};

/** Statuses no transition leaves. */
export const FINAL_PAYMENT_STATUSES: readonly PaymentStatus[] = PAYMENT_STATUSES.filter(
  (status) => !Object.values(PAYMENT_TRANSITIONS).some(({ from, to }) => from === status && to !== status),
);

/** Why a transition is not allowed from a payment's current status. */
export interface PaymentTransitionRefusal {
  reason: 'illegal-transition';
  transition: PaymentTransition;
  from: PaymentStatus;
  detail: string;
}

/** Thrown by {@link nextPaymentStatus} for a transition the state machine does not allow. */
export class PaymentTransitionRefused extends Error {
  constructor(readonly refusal: PaymentTransitionRefusal) {
    super(refusal.detail);
    this.name = 'PaymentTransitionRefused';
  }
}

/**
 * The status `transition` moves a payment in status `current` to, or the refusal when the
 * transition is not allowed from `current`.
 */
export function decidePaymentTransition(
  current: PaymentStatus,
  transition: PaymentTransition,
): { ok: true; to: PaymentStatus } | { ok: false; refusal: PaymentTransitionRefusal } {
  const { from, to } = PAYMENT_TRANSITIONS[transition];
  if (current === from) return { ok: true, to };
  return {
    ok: false,
    refusal: {
      reason: 'illegal-transition',
      transition,
      from: current,
      detail: `a ${current} payment cannot ${transition}: only a ${from} one can`,
    },
  };
}

/**
 * The status `transition` moves a payment in status `current` to.
 * @throws PaymentTransitionRefused when the transition is not allowed from `current`.
 */
export function nextPaymentStatus(current: PaymentStatus, transition: PaymentTransition): PaymentStatus {
  const decision = decidePaymentTransition(current, transition);
  if (!decision.ok) throw new PaymentTransitionRefused(decision.refusal);
  return decision.to;
}

/**
 * The compare-and-set a transition is applied with: the status the row must still have (`from`)
 * and the status it gets (`to`). The repository's statements take both from here, so the SQL
 * stays one atomic statement while this model decides what is legal.
 */
export function paymentCompareAndSet(transition: PaymentTransition): { from: PaymentStatus; to: PaymentStatus } {
  const { from } = PAYMENT_TRANSITIONS[transition];
  return { from, to: nextPaymentStatus(from, transition) };
}

/** Whether a payment in status `current` still awaits its charge (only a pending one is charged). */
export function awaitsCharge(current: PaymentStatus): boolean {
  return decidePaymentTransition(current, 'confirm').ok;
}
