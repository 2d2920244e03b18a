import { applyPayment, sameTerms } from './debt.js';

describe('debt rules', () => {
  it('apply partial, exact and excessive payments without going below zero', () => {
    expect(applyPayment(1000, 400)).toEqual({ applied: 400, outstanding: 600, excess: 0 });
    expect(applyPayment(600, 600)).toEqual({ applied: 600, outstanding: 0, excess: 0 });
    expect(applyPayment(100, 250)).toEqual({ applied: 100, outstanding: 0, excess: 150 });
    expect(applyPayment(0, 50)).toEqual({ applied: 0, outstanding: 0, excess: 50 });
  });

  it('compare registration terms field by field', () => {
    const terms = { citizenId: 'c', kind: 'fine' as const, amount: 5, currency: 'SAR', dueDate: null };
    expect(sameTerms(terms, { ...terms })).toBe(true);
    expect(sameTerms(terms, { ...terms, amount: 6 })).toBe(false);
    expect(sameTerms(terms, { ...terms, dueDate: '2027-01-01' })).toBe(false);
  });
});
