import { exactMinorUnits, MinorUnitsOutOfRangeError, safeMinorUnits } from './money.js';

describe('money sums in minor units', () => {
  it('reads PostgreSQL sums exactly, past 2^53 and past bigint', () => {
    expect(exactMinorUnits('9007199254740993')).toBe(9_007_199_254_740_993n);
    expect(exactMinorUnits('99999999999999999999')).toBe(99_999_999_999_999_999_999n);
    expect(exactMinorUnits(null)).toBe(0n);
    expect(exactMinorUnits('-5')).toBe(-5n);
  });

  it('refuses what is not an integer', () => {
    for (const bad of ['1.5', '1e3', '', 'abc', ' 1']) expect(() => exactMinorUnits(bad)).toThrow(RangeError);
    expect(() => exactMinorUnits(2 ** 53)).toThrow(RangeError);
  });

  it('gives a number only when it is exact, and fails loudly otherwise', () => {
    expect(safeMinorUnits(String(Number.MAX_SAFE_INTEGER), 'total')).toBe(Number.MAX_SAFE_INTEGER);
    expect(safeMinorUnits(`-${Number.MAX_SAFE_INTEGER}`, 'total')).toBe(-Number.MAX_SAFE_INTEGER);
    expect(() => safeMinorUnits('9007199254740992', 'the total')).toThrow(MinorUnitsOutOfRangeError);
    expect(() => safeMinorUnits('9007199254740992', 'the total')).toThrow(/the total exceeds 9007199254740991/);
  });
});
