import {
  assertValidProblem,
  demandBySku,
  findShortfalls,
  type RoutingProblem,
  type StockLocation,
} from './routing-problem.js';

const location = (id: string, available: Record<string, number>): StockLocation => ({
  id,
  lat: 10,
  lon: 20,
  handlingCostPerUnit: 1,
  shippingCostPerKm: 0.5,
  fixedCostPerShipment: 100,
  available,
});

describe('routing problem', () => {
  const problem: RoutingProblem = {
    lines: [
      { sku: 'A', quantity: 2 },
      { sku: 'B', quantity: 5 },
      { sku: 'A', quantity: 3 },
      { sku: 'C', quantity: 1 },
    ],
    shipTo: { lat: 0, lon: 0 },
    locations: [location('w1', { A: 4, B: 1 }), location('w2', { A: 1, B: 3 })],
  };

  it('adds up lines of the same sku', () => {
    expect([...demandBySku(problem.lines)]).toEqual([
      ['A', 5],
      ['B', 5],
      ['C', 1],
    ]);
  });

  it('reports every sku the locations together cannot cover', () => {
    expect(findShortfalls(problem)).toEqual([
      { sku: 'B', requested: 5, available: 4 },
      { sku: 'C', requested: 1, available: 0 },
    ]);
    expect(findShortfalls({ ...problem, lines: [{ sku: 'A', quantity: 5 }] })).toEqual([]);
  });

  it('does not read inherited properties as stock', () => {
    expect(findShortfalls({ ...problem, lines: [{ sku: 'toString', quantity: 1 }] })).toEqual([
      { sku: 'toString', requested: 1, available: 0 },
    ]);
  });

  it('rejects malformed input', () => {
    expect(() => assertValidProblem(problem)).not.toThrow();
    expect(() => assertValidProblem({ ...problem, lines: [] })).toThrow(RangeError);
    expect(() => assertValidProblem({ ...problem, lines: [{ sku: 'A', quantity: 0 }] })).toThrow(/quantity/);
    expect(() => assertValidProblem({ ...problem, lines: [{ sku: 'A', quantity: 1.5 }] })).toThrow(/quantity/);
    expect(() => assertValidProblem({ ...problem, shipTo: { lat: 91, lon: 0 } })).toThrow(/lat\/lon/);
    expect(() => assertValidProblem({ ...problem, locations: [location('w', { A: -1 })] })).toThrow(/available/);
    expect(() => assertValidProblem({ ...problem, locations: [location('w', {}), location('w', {})] })).toThrow(
      /duplicate/,
    );
    const fractionalFee = { ...location('w', {}), fixedCostPerShipment: 0.5 };
    expect(() => assertValidProblem({ ...problem, locations: [fractionalFee] })).toThrow(/fixedCostPerShipment/);
    const nanRate = { ...location('w', {}), shippingCostPerKm: Number.NaN };
    expect(() => assertValidProblem({ ...problem, locations: [nanRate] })).toThrow(/shippingCostPerKm/);
  });
});
