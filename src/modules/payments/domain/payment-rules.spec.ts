import {
  chargeIdempotencyKey,
  CONFLICT_REFUSALS,
  mayPayFor,
  refundAtConfirm,
  refundIdempotencyKey,
  refusePayment,
} from './payment-rules.js';

describe('payment rules', () => {
  const debt = { currency: 'SAR', rule: { kind: 'up-to' as const, max: 1000 } };
  const order = { currency: 'SAR', rule: { kind: 'exactly' as const, amount: 750 } };

  it('accept a debt payment up to the outstanding amount, partial payments included', () => {
    expect(refusePayment(debt, { amount: 1000, currency: 'SAR' }, 0)).toBeUndefined();
    expect(refusePayment(debt, { amount: 1, currency: 'SAR' }, 0)).toBeUndefined();
    expect(refusePayment(debt, { amount: 1001, currency: 'SAR' }, 0)?.reason).toBe('amount-exceeds-outstanding');
  });

  it('count pending payments against what is outstanding', () => {
    expect(refusePayment(debt, { amount: 600, currency: 'SAR' }, 400)).toBeUndefined();
    expect(refusePayment(debt, { amount: 601, currency: 'SAR' }, 400)?.reason).toBe('amount-exceeds-outstanding');
    expect(refusePayment({ ...debt, rule: { kind: 'up-to', max: 0 } }, { amount: 1, currency: 'SAR' }, 0)?.reason).toBe(
      'amount-exceeds-outstanding',
    );
  });

  it('accept an order payment of exactly its amount, once at a time', () => {
    expect(refusePayment(order, { amount: 750, currency: 'SAR' }, 0)).toBeUndefined();
    expect(refusePayment(order, { amount: 749, currency: 'SAR' }, 0)?.reason).toBe('amount-mismatch');
    expect(refusePayment(order, { amount: 751, currency: 'SAR' }, 0)?.reason).toBe('amount-mismatch');
    expect(refusePayment(order, { amount: 750, currency: 'SAR' }, 750)?.reason).toBe('payment-pending');
  });

  it('refuse another currency before looking at the amount', () => {
    expect(refusePayment(debt, { amount: 5, currency: 'USD' }, 0)?.reason).toBe('currency-mismatch');
    expect(refusePayment(order, { amount: 750, currency: 'EUR' }, 0)?.reason).toBe('currency-mismatch');
  });

  it('refuse any payment for a closed reference, and another one for a paid reference (409 conflicts)', () => {
    const offer = { amount: 750, currency: 'SAR' };
    expect(refusePayment({ ...order, standing: 'closed' }, offer, 0)?.reason).toBe('reference-closed');
    // Closed wins over everything the request itself gets wrong: the reference takes nothing.
    expect(refusePayment({ ...order, standing: 'closed' }, { amount: 1, currency: 'USD' }, 750)?.reason).toBe(
      'reference-closed',
    );
    expect(refusePayment({ ...order, standing: 'settled' }, offer, 0)?.reason).toBe('already-paid');
    expect(refusePayment({ ...debt, standing: 'settled' }, { amount: 1, currency: 'SAR' }, 0)?.reason).toBe(
      'already-paid',
    );
    expect(refusePayment({ ...order, standing: 'open' }, offer, 0)).toBeUndefined();
    for (const reason of ['reference-closed', 'already-paid', 'payment-pending'] as const) {
      expect(CONFLICT_REFUSALS.has(reason)).toBe(true);
    }
    expect(CONFLICT_REFUSALS.has('amount-mismatch')).toBe(false);
  });

  it('treat an exactly-priced reference with a confirmed payment as paid, but not a debt', () => {
    expect(refusePayment(order, { amount: 750, currency: 'SAR' }, 0, 1)?.reason).toBe('already-paid');
    expect(refusePayment(order, { amount: 750, currency: 'SAR' }, 0, 0)).toBeUndefined();
    expect(refusePayment(debt, { amount: 500, currency: 'SAR' }, 0, 3)).toBeUndefined();
  });

  it('refund at confirmation a payment whose reference closed, or a second payment of an exactly-priced one', () => {
    expect(refundAtConfirm({ ...order, standing: 'closed' }, 0)).toBe('reference-closed');
    expect(refundAtConfirm({ ...debt, standing: 'closed' }, 0)).toBe('reference-closed');
    expect(refundAtConfirm(order, 1)).toBe('duplicate');
    expect(refundAtConfirm({ ...order, standing: 'settled' }, 1)).toBe('duplicate');
    expect(refundAtConfirm(order, 0)).toBeUndefined();
    expect(refundAtConfirm({ ...order, standing: 'open' }, 0)).toBeUndefined();
    // Debts take partial payments: further confirmed payments are no duplicates.
    expect(refundAtConfirm(debt, 2)).toBeUndefined();
  });

  it('let citizens pay debts, customers orders, admins both', () => {
    expect(mayPayFor(['citizen'], 'debt')).toBe(true);
    expect(mayPayFor(['citizen'], 'order')).toBe(false);
    expect(mayPayFor(['customer'], 'order')).toBe(true);
    expect(mayPayFor(['customer'], 'debt')).toBe(false);
    expect(mayPayFor(['admin'], 'debt')).toBe(true);
    expect(mayPayFor(['admin'], 'order')).toBe(true);
    expect(mayPayFor(['service'], 'debt')).toBe(false);
    expect(mayPayFor(['citizen', 'customer'], 'order')).toBe(true);
  });

  it('derive the gateway key from the payment id alone', () => {
    expect(chargeIdempotencyKey('abc')).toBe('pay-abc');
    expect(chargeIdempotencyKey('abc')).toBe(chargeIdempotencyKey('abc'));
    expect(refundIdempotencyKey('abc')).toBe('refund-abc');
    expect(refundIdempotencyKey('abc')).not.toBe(chargeIdempotencyKey('abc'));
  });
});
