import { shipmentCost } from './plan-cost.js';
import { buildRoutingMilp } from './routing-milp.js';
import type { RoutingProblem } from './routing-problem.js';

describe('buildRoutingMilp', () => {
  const problem: RoutingProblem = {
    lines: [
      { sku: 'sku with spaces', quantity: 3 },
      { sku: 'B', quantity: 1 },
    ],
    shipTo: { lat: 0, lon: 0 },
    locations: [
      {
        id: 'w1',
        lat: 1,
        lon: 1,
        handlingCostPerUnit: 7,
        shippingCostPerKm: 0.3,
        fixedCostPerShipment: 90,
        available: { 'sku with spaces': 10, B: 1 },
      },
      {
        id: 'w2',
        lat: 2,
        lon: 2,
        handlingCostPerUnit: 4,
        shippingCostPerKm: 1,
        fixedCostPerShipment: 20,
        available: { 'sku with spaces': 2 },
      },
      {
        id: 'empty',
        lat: 3,
        lon: 3,
        handlingCostPerUnit: 1,
        shippingCostPerKm: 1,
        fixedCostPerShipment: 1,
        available: { C: 9 },
      },
    ],
  };
  const { model, toAllocations } = buildRoutingMilp(problem);

  it('has an integer variable per stocked (location, sku), bounded by stock and demand, and a binary per shipping location', () => {
    expect(model.variables).toEqual([
      { name: 'x_0_0', type: 'integer', lower: 0, upper: 3, cost: 7 },
      { name: 'x_0_1', type: 'integer', lower: 0, upper: 1, cost: 7 },
      { name: 'y_0', type: 'binary', lower: 0, upper: 1, cost: shipmentCost(problem.locations[0]!, problem.shipTo) },
      { name: 'x_1_0', type: 'integer', lower: 0, upper: 2, cost: 4 },
      { name: 'y_1', type: 'binary', lower: 0, upper: 1, cost: shipmentCost(problem.locations[1]!, problem.shipTo) },
    ]);
    expect(model.variables.every((variable) => Number.isInteger(variable.cost))).toBe(true);
  });

  it('covers each demand exactly and links units to the shipment with the tightest big-M', () => {
    const byName = new Map(model.constraints.map((constraint) => [constraint.name, constraint]));
    expect(byName.get('demand_0')).toEqual({
      name: 'demand_0',
      terms: [
        { variable: 'x_0_0', coefficient: 1 },
        { variable: 'x_1_0', coefficient: 1 },
      ],
      relation: '=',
      rhs: 3,
    });
    expect(byName.get('link_1_0')?.terms).toEqual([
      { variable: 'x_1_0', coefficient: 1 },
      { variable: 'y_1', coefficient: -2 },
    ]);
    expect(model.constraints).toHaveLength(2 + 3);
  });

  it('maps integral values back to allocations and rejects fractional or missing ones', () => {
    const values = new Map([
      ['x_0_0', 1.0000000001],
      ['x_0_1', 1],
      ['x_1_0', 2],
      ['y_0', 1],
      ['y_1', 1],
    ]);
    expect(toAllocations(values)).toEqual([
      { locationId: 'w1', sku: 'sku with spaces', quantity: 1 },
      { locationId: 'w1', sku: 'B', quantity: 1 },
      { locationId: 'w2', sku: 'sku with spaces', quantity: 2 },
    ]);
    expect(toAllocations(new Map([...values, ['x_1_0', 1.5]]))).toBeUndefined();
    const missing = new Map(values);
    missing.delete('x_0_1');
    expect(toAllocations(missing)).toBeUndefined();
  });
});
