import type { MilpConstraint, MilpModel, MilpVariable } from './milp-solver.port.js';
import { canonicalAllocations } from './allocation-order.js';
import { shipmentCost } from './plan-cost.js';
import { availableAt, demandBySku, type Allocation, type RoutingProblem } from './routing-problem.js';

/** The routing problem as a MILP, and the way back from the solver's values to allocations. */
export interface RoutingMilp {
  readonly model: MilpModel;
  /**
   * The allocations the solver's values describe, or `undefined` when a value is missing or not within
   * 1e-6 of a whole number. Does not check feasibility (use `planViolations`).
   */
  toAllocations(values: ReadonlyMap<string, number>): Allocation[] | undefined;
}

const INTEGRALITY_TOLERANCE = 1e-6;

/**
 * Formulates the problem (variables are named by index, so any sku or id string is safe):
 *
 * - `x_l_s` integer, 0 ≤ x ≤ min(available[l,s], demand[s]): units of sku s from location l, only
 *   where l stocks s;
 * - `y_l` binary: location l ships; only for locations that stock something ordered;
 * - `demand_s`: Σ_l x_l_s = demand[s];
 * - `link_l_s`: x_l_s − min(available[l,s], demand[s]) · y_l ≤ 0 (no units without a shipment; the
 *   tightest big-M);
 * - minimise Σ handling[l] · x_l_s + Σ shipmentCost(l) · y_l.
 *
 * Every coefficient is a whole number of minor units, so the optimum's objective equals `planCost`.
 * Assumes no shortfall (a sku nobody stocks gives a `demand_s` row with no terms: infeasible).
 */
export function buildRoutingMilp(problem: RoutingProblem): RoutingMilp {
  const demand = [...demandBySku(problem.lines)];
  const variables: MilpVariable[] = [];
  const constraints: MilpConstraint[] = [];
  const cells: { name: string; locationId: string; sku: string }[] = [];
  const demandRows = demand.map(() => [] as { variable: string; coefficient: number }[]);

  problem.locations.forEach((location, l) => {
    const links: MilpConstraint[] = [];
    demand.forEach(([sku, wanted], s) => {
      const bound = Math.min(availableAt(location, sku), wanted);
      if (bound === 0) return;
      const x = `x_${l}_${s}`;
      variables.push({ name: x, type: 'integer', lower: 0, upper: bound, cost: location.handlingCostPerUnit });
      cells.push({ name: x, locationId: location.id, sku });
      demandRows[s]!.push({ variable: x, coefficient: 1 });
      links.push({
        name: `link_${l}_${s}`,
        terms: [
          { variable: x, coefficient: 1 },
          { variable: `y_${l}`, coefficient: -bound },
        ],
        relation: '<=',
        rhs: 0,
      });
    });
    if (links.length === 0) return;
    variables.push({
      name: `y_${l}`,
      type: 'binary',
      lower: 0,
      upper: 1,
      cost: shipmentCost(location, problem.shipTo),
    });
    constraints.push(...links);
  });
  demand.forEach(([, wanted], s) =>
    constraints.push({ name: `demand_${s}`, terms: demandRows[s]!, relation: '=', rhs: wanted }),
  );

  return {
    model: { variables, constraints },
    toAllocations(values) {
      const allocations: Allocation[] = [];
      for (const cell of cells) {
        const value = values.get(cell.name);
        if (value === undefined || Math.abs(value - Math.round(value)) > INTEGRALITY_TOLERANCE) return undefined;
        const quantity = Math.round(value);
        if (quantity !== 0) allocations.push({ locationId: cell.locationId, sku: cell.sku, quantity });
      }
      return canonicalAllocations(problem, allocations);
    },
  };
}
