import { chargeIdempotencyKey, mayPayFor, refusePayment } from './payment-rules.js';

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
  });
});
