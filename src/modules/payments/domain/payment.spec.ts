import {
  awaitsCharge,
  decidePaymentTransition,
  FINAL_PAYMENT_STATUSES,
  nextPaymentStatus,
  PAYMENT_STATUSES,
  PAYMENT_TRANSITIONS,
  PAYMENT_VIEW_STATUSES,
  paymentCompareAndSet,
  type PaymentTransition,
  PaymentTransitionRefused,
  viewStatusOf,
} from './payment.js';

const TRANSITIONS = Object.keys(PAYMENT_TRANSITIONS) as PaymentTransition[];

describe('payment state machine', () => {
  it('moves pending to confirmed or failed, and confirmed through refunding to refunded', () => {
    expect(nextPaymentStatus('pending', 'confirm')).toBe('confirmed');
    expect(nextPaymentStatus('pending', 'fail')).toBe('failed');
    expect(nextPaymentStatus('pending', 'record-pending-charge')).toBe('pending');
    expect(nextPaymentStatus('confirmed', 'request-refund')).toBe('refunding');
    expect(nextPaymentStatus('refunding', 'record-refund')).toBe('refunded');
  });

  it('refuses every other transition, with a typed refusal or a throw', () => {
    const allowed = new Set([
      'pending:confirm',
      'pending:fail',
      'pending:record-pending-charge',
      'confirmed:request-refund',
      'refunding:record-refund',
    ]);
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
    expect(decidePaymentTransition('pending', 'request-refund').ok).toBe(false);
    expect(decidePaymentTransition('refunding', 'request-refund').ok).toBe(false);
    expect(decidePaymentTransition('refunded', 'request-refund').ok).toBe(false);
    expect(decidePaymentTransition('failed', 'request-refund').ok).toBe(false);
    // A refund is a fact only after it was requested: never straight from confirmed, never twice.
    expect(decidePaymentTransition('confirmed', 'record-refund').ok).toBe(false);
    expect(decidePaymentTransition('refunded', 'record-refund').ok).toBe(false);
  });

  it('names the compare-and-set each transition is applied with', () => {
    expect(paymentCompareAndSet('confirm')).toEqual({ from: 'pending', to: 'confirmed' });
    expect(paymentCompareAndSet('fail')).toEqual({ from: 'pending', to: 'failed' });
    expect(paymentCompareAndSet('request-refund')).toEqual({ from: 'confirmed', to: 'refunding' });
    expect(paymentCompareAndSet('record-refund')).toEqual({ from: 'refunding', to: 'refunded' });
  });

  it('ends in failed and refunded; only pending awaits its charge', () => {
    expect([...FINAL_PAYMENT_STATUSES].sort()).toEqual(['failed', 'refunded']);
    expect(PAYMENT_STATUSES.filter(awaitsCharge)).toEqual(['pending']);
  });

  it('shows a refund in progress as confirmed in the API, every other status as it is', () => {
    expect(viewStatusOf('refunding')).toBe('confirmed');
    for (const status of PAYMENT_VIEW_STATUSES) expect(viewStatusOf(status)).toBe(status);
  });
});
