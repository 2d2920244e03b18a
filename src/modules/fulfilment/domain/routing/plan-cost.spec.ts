import { distanceKm, planCost, planViolations, shipmentCost } from './plan-cost.js';
import type { RoutingProblem, StockLocation } from './routing-problem.js';

const ONE_DEGREE_KM = (6371.0088 * Math.PI) / 180; // 111.195 km along a meridian

const location = (id: string, over: Partial<StockLocation> = {}): StockLocation => ({
  id,
  lat: 0,
  lon: 0,
  handlingCostPerUnit: 0,
  shippingCostPerKm: 0,
  fixedCostPerShipment: 0,
  available: {},
  ...over,
});

describe('distanceKm', () => {
  it('is zero from a point to itself and symmetric', () => {
    expect(distanceKm({ lat: 24.7, lon: 46.7 }, { lat: 24.7, lon: 46.7 })).toBe(0);
    const a = { lat: 51.5074, lon: -0.1278 };
    const b = { lat: 48.8566, lon: 2.3522 };
    expect(distanceKm(a, b)).toBeCloseTo(distanceKm(b, a), 9);
  });

  it('measures great circles on the mean Earth radius', () => {
    expect(distanceKm({ lat: 0, lon: 0 }, { lat: 1, lon: 0 })).toBeCloseTo(ONE_DEGREE_KM, 6);
    expect(distanceKm({ lat: 0, lon: 0 }, { lat: 0, lon: 1 })).toBeCloseTo(ONE_DEGREE_KM, 6); // on the equator
    expect(distanceKm({ lat: 0, lon: 0 }, { lat: 0, lon: 180 })).toBeCloseTo(6371.0088 * Math.PI, 6);
    // London to Paris is about 343.5 km.
    expect(distanceKm({ lat: 51.5074, lon: -0.1278 }, { lat: 48.8566, lon: 2.3522 })).toBeCloseTo(343.5, 0);
  });
});

describe('shipmentCost', () => {
  it('adds the fixed cost to the distance cost rounded half up to whole minor units', () => {
    const shipTo = { lat: 1, lon: 0 };
    expect(shipmentCost(location('a', { shippingCostPerKm: 1, fixedCostPerShipment: 500 }), shipTo)).toBe(500 + 111);
    expect(shipmentCost(location('a', { shippingCostPerKm: 10, fixedCostPerShipment: 0 }), shipTo)).toBe(1112);
    expect(shipmentCost(location('a', { shippingCostPerKm: 2.5, fixedCostPerShipment: 7 }), shipTo)).toBe(7 + 278);
    expect(shipmentCost(location('a', { shippingCostPerKm: 3, fixedCostPerShipment: 9 }), { lat: 0, lon: 0 })).toBe(9);
  });
});

describe('planCost', () => {
  const problem: RoutingProblem = {
    lines: [
      { sku: 'A', quantity: 3 },
      { sku: 'B', quantity: 1 },
    ],
    shipTo: { lat: 1, lon: 0 },
    locations: [
      location('near', {
        lat: 1,
        handlingCostPerUnit: 40,
        shippingCostPerKm: 5,
        fixedCostPerShipment: 300,
        available: { A: 2 },
      }),
      location('far', {
        handlingCostPerUnit: 10,
        shippingCostPerKm: 1,
        fixedCostPerShipment: 100,
        available: { A: 5, B: 1 },
      }),
    ],
  };

  it('sums handling per unit and one shipment per location that ships', () => {
    // near: 2 × 40 + (300 + 0 km); far: (1 + 1) × 10 + (100 + 111)
    const cost = planCost(problem, [
      { locationId: 'near', sku: 'A', quantity: 2 },
      { locationId: 'far', sku: 'A', quantity: 1 },
      { locationId: 'far', sku: 'B', quantity: 1 },
    ]);
    expect(cost).toBe(80 + 300 + 20 + 211);
  });

  it('charges one shipment however many allocations a location has, and none for zero quantities', () => {
    const single = planCost(problem, [
      { locationId: 'far', sku: 'A', quantity: 3 },
      { locationId: 'far', sku: 'B', quantity: 1 },
      { locationId: 'near', sku: 'A', quantity: 0 },
    ]);
    expect(single).toBe(4 * 10 + 211);
    expect(planCost(problem, [])).toBe(0);
  });

  it('refuses an allocation from an unknown location', () => {
    expect(() => planCost(problem, [{ locationId: 'ghost', sku: 'A', quantity: 1 }])).toThrow(RangeError);
  });

  it('finds every way a plan fails the order or the stock', () => {
    const ok = [
      { locationId: 'far', sku: 'A', quantity: 3 },
      { locationId: 'far', sku: 'B', quantity: 1 },
    ];
    expect(planViolations(problem, ok)).toEqual([]);
    expect(planViolations(problem, [{ locationId: 'far', sku: 'B', quantity: 1 }])).toEqual([
      'A: 0 allocated, 3 ordered',
    ]);
    expect(
      planViolations(problem, [
        { locationId: 'near', sku: 'A', quantity: 2 },
        { locationId: 'near', sku: 'A', quantity: 1 },
        { locationId: 'far', sku: 'B', quantity: 1 },
      ]),
    ).toEqual(['near/A: 3 taken, 2 available']);
    expect(planViolations(problem, [...ok, { locationId: 'far', sku: 'C', quantity: 1 }])).toEqual([
      'C: not ordered',
      'far/C: 1 taken, 0 available',
    ]);
    expect(planViolations(problem, [...ok, { locationId: 'x', sku: 'A', quantity: 0 }])).toEqual([
      'x: unknown location',
    ]);
    expect(planViolations(problem, [{ locationId: 'far', sku: 'A', quantity: 3.5 }, ok[1]!])).toContain(
      'far/A: quantity 3.5',
    );
  });
});
