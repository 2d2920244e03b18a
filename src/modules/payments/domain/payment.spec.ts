import {
  awaitsCharge,
  decidePaymentTransition,
  FINAL_PAYMENT_STATUSES,
  nextPaymentStatus,
  PAYMENT_STATUSES,
  PAYMENT_TRANSITIONS,
  paymentCompareAndSet,
  type PaymentTransition,
  PaymentTransitionRefused,
} from './payment.js';

const TRANSITIONS = Object.keys(PAYMENT_TRANSITIONS) as PaymentTransition[];

describe('payment state machine', () => {
  it('moves pending to confirmed or failed, and confirmed to refunded', () => {
    expect(nextPaymentStatus('pending', 'confirm')).toBe('confirmed');
    expect(nextPaymentStatus('pending', 'fail')).toBe('failed');
    expect(nextPaymentStatus('pending', 'record-pending-charge')).toBe('pending');
    expect(nextPaymentStatus('confirmed', 'refund')).toBe('refunded');
  });

  it('refuses every other transition, with a typed refusal or a throw', () => {
    const allowed = new Set(['pending:confirm', 'pending:fail', 'pending:record-pending-charge', 'confirmed:refund']);
    for (const status of PAYMENT_STATUSES) {
      for (const transition of TRANSITIONS) {
        const decision = decidePaymentTransition(status, transition);
        expect(decision.ok).toBe(allowed.has(`${status}:${transition}`));
        if (!decision.ok) {
          expect(decision.refusal).toMatchObject({ reason: 'illegal-transition', transition, from: status });
          expect(() => nextPaymentStatus(status, transition)).toThrow(PaymentTransitionRefused);
        }
      }
    }
    // The cases the flows meet: a second confirmation, a refund of a pending or refunded payment.
    expect(decidePaymentTransition('confirmed', 'confirm').ok).toBe(false);
    expect(decidePaymentTransition('failed', 'confirm').ok).toBe(false);
    expect(decidePaymentTransition('pending', 'refund').ok).toBe(false);
    expect(decidePaymentTransition('refunded', 'refund').ok).toBe(false);
    expect(decidePaymentTransition('failed', 'refund').ok).toBe(false);
  });

  it('names the compare-and-set each transition is applied with', () => {
    expect(paymentCompareAndSet('confirm')).toEqual({ from: 'pending', to: 'confirmed' });
    expect(paymentCompareAndSet('fail')).toEqual({ from: 'pending', to: 'failed' });
    expect(paymentCompareAndSet('refund')).toEqual({ from: 'confirmed', to: 'refunded' });
  });

  it('ends in failed and refunded; only pending awaits its charge', () => {
    expect([...FINAL_PAYMENT_STATUSES].sort()).toEqual(['failed', 'refunded']);
    expect(PAYMENT_STATUSES.filter(awaitsCharge)).toEqual(['pending']);
  });
});
