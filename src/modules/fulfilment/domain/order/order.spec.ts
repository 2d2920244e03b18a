import {
  becomesReady,
  invalidLines,
  MAX_ORDER_LINES,
  ORDER_STATUSES,
  orderTotal,
  shipmentsOf,
  statusAfterPayment,
  statusAfterReservation,
} from './order.js';

describe('order rules', () => {
  it('reaches ready only with stock held and payment confirmed, from reserved or paid', () => {
    for (const status of ORDER_STATUSES) {
      for (const held of [false, true]) {
        for (const paymentConfirmed of [false, true]) {
          const expected = (status === 'reserved' || status === 'paid') && held && paymentConfirmed;
          expect(becomesReady({ status, held, paymentConfirmed })).toBe(expected);
        }
      }
    }
  });

  it('moves placed to reserved on reservation and to paid on payment; nothing else moves', () => {
    expect(statusAfterReservation('placed')).toBe('reserved');
    expect(statusAfterReservation('paid')).toBe('paid');
    expect(statusAfterPayment('placed')).toBe('paid');
    expect(statusAfterPayment('reserved')).toBe('reserved');
    for (const status of ['ready', 'shipped', 'rejected', 'cancelled'] as const) {
      expect(statusAfterReservation(status)).toBeUndefined();
      expect(statusAfterPayment(status)).toBeUndefined();
    }
    // Either order of the two facts ends in the same readiness.
    const viaReservation = statusAfterPayment(statusAfterReservation('placed')!)!;
    const viaPayment = statusAfterReservation(statusAfterPayment('placed')!)!;
    expect(becomesReady({ status: viaReservation, held: true, paymentConfirmed: true })).toBe(true);
    expect(becomesReady({ status: viaPayment, held: true, paymentConfirmed: true })).toBe(true);
  });

  it('totals lines in integer minor units and refuses an unsafe total', () => {
    const prices: Record<string, number> = { a: 2500, b: 990 };
    expect(
      orderTotal(
        [
          { sku: 'a', quantity: 3 },
          { sku: 'b', quantity: 2 },
        ],
        (sku) => prices[sku]!,
      ),
    ).toBe(9480);
    expect(() => orderTotal([{ sku: 'a', quantity: 2 ** 31 - 1 }], () => 2 ** 30)).toThrow(RangeError);
  });

  it('refuses empty, oversized and repeated-SKU line sets', () => {
    expect(invalidLines([])).toMatch(/at least one line/);
    const many = Array.from({ length: MAX_ORDER_LINES + 1 }, (_, i) => ({ sku: `s${i}`, quantity: 1 }));
    expect(invalidLines(many)).toMatch(/at most/);
    expect(
      invalidLines([
        { sku: 'a', quantity: 1 },
        { sku: 'a', quantity: 2 },
      ]),
    ).toMatch(/more than one line/);
    expect(
      invalidLines([
        { sku: 'a', quantity: 1 },
        { sku: 'b', quantity: 2 },
      ]),
    ).toBeUndefined();
  });

  it('groups allocations into one shipment per location, in a stable order', () => {
    expect(
      shipmentsOf([
        { locationId: 'w2', sku: 'b', quantity: 1 },
        { locationId: 'w1', sku: 'z', quantity: 2 },
        { locationId: 'w2', sku: 'a', quantity: 3 },
      ]),
    ).toEqual([
      { locationId: 'w1', lines: [{ sku: 'z', quantity: 2 }] },
      {
        locationId: 'w2',
        lines: [
          { sku: 'a', quantity: 3 },
          { sku: 'b', quantity: 1 },
        ],
      },
    ]);
  });
});
