/** The routing optimiser's public surface within the fulfilment module. */
export {
  optimiseRouting,
  type RoutingOptions,
  type RoutingPlan,
  type RoutingInfeasible,
  type RoutingResult,
} from './routing-optimiser.js';
export {
  assertValidProblem,
  findShortfalls,
  type Allocation,
  type GeoPoint,
  type OrderLine,
  type RoutingProblem,
  type Shortfall,
  type StockLocation,
} from './routing-problem.js';
export { distanceKm, planCost, planViolations, shipmentCost } from './plan-cost.js';
export { greedyAllocations } from './greedy-router.js';
export { candidateCount, ENUMERATION_MAX_CANDIDATES, enumeratedOptimum } from './enumeration-router.js';
export { buildRoutingMilp, type RoutingMilp } from './routing-milp.js';
export { toCplexLp } from './cplex-lp.js';
export type * from './milp-solver.port.js';
