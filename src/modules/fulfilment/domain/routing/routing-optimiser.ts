import type { MilpSolver } from './milp-solver.port.js';
import { candidateCount, ENUMERATION_MAX_CANDIDATES, enumeratedOptimum } from './enumeration-router.js';
import { greedyAllocations } from './greedy-router.js';
import { planCost, planViolations } from './plan-cost.js';
import { buildRoutingMilp } from './routing-milp.js';
import {
  assertValidProblem,
  findShortfalls,
  type Allocation,
  type RoutingProblem,
  type Shortfall,
} from './routing-problem.js';

/** The plan recorded on the order. */
export interface RoutingPlan {
  readonly kind: 'planned';
  /** In canonical order (location order, then sku order); no zero quantities. */
  readonly allocations: readonly Allocation[];
  /** `planCost` of the allocations, integer minor units. */
  readonly cost: number;
  /**
   * Which strategy produced the allocations: `milp` for an optimum of the routing MILP (or a
   * time-limited incumbent of it), `greedy` for the heuristic fallback. This is the API's `solver`.
   */
  readonly solver: 'milp' | 'greedy';
  /**
   * How the plan was found: `enumeration` (the exact set enumeration, inline), `solver` (the
   * {@link MilpSolver}) or `greedy`. Not part of the API; for metrics and logs.
   */
  readonly method: 'enumeration' | 'solver' | 'greedy';
  /** True only when the plan is proved optimal (by enumeration or by the MILP solver). */
  readonly optimal: boolean;
  /** Wall-clock milliseconds spent planning: the solver attempt plus any fallback. */
  readonly solverMs: number;
  /** Why the MILP result was not used, when `solver` is `greedy`. */
  readonly fallbackReason?: string;
}

/** The order cannot be fulfilled: some sku has less stock in total than requested. */
export interface RoutingInfeasible {
  readonly kind: 'infeasible';
  readonly shortfalls: readonly Shortfall[];
}

/** The outcome of {@link optimiseRouting}. */
export type RoutingResult = RoutingPlan | RoutingInfeasible;

/** How {@link optimiseRouting} plans. */
export interface RoutingOptions {
  /** The MILP solver; without one the greedy heuristic plans alone. */
  readonly solver?: MilpSolver;
  /** The solver's wall-clock limit in milliseconds, positive. */
  readonly timeLimitMs: number;
  /** Millisecond clock for `solverMs`; defaults to `performance.now`. */
  readonly now?: () => number;
  /**
   * Orders with at most this many candidate locations are solved exactly by enumeration, inline,
   * without the solver. Defaults to {@link ENUMERATION_MAX_CANDIDATES}; 0 always uses the solver.
   */
  readonly enumerateUpTo?: number;
}

/**
 * Chooses the stock locations that fulfil the order at least cost (handling + distance-based shipping
 * + a fixed cost per shipment; see `planCost`).
 *
 * Returns `infeasible` with the shortfalls when some sku cannot be covered. Otherwise, when the order
 * has at most `enumerateUpTo` candidate locations, returns the exact optimum from
 * `enumeratedOptimum` (reported as `solver: 'milp'`, `method: 'enumeration'`: it is the MILP's
 * optimum). Otherwise solves the MILP from `buildRoutingMilp` with the time limit and uses its plan when the solver proves it optimal, or
 * when a limit stopped it with a feasible incumbent no dearer than the greedy plan. Falls back to
 * `greedyAllocations` (reporting `solver: 'greedy'` and the reason) when there is no solver, or it
 * throws, finds no solution, or returns values that are not a feasible integral plan: a solver's
 * answer is never trusted without checking it against the stock and the order.
 *
 * Throws a `RangeError` for malformed input (`assertValidProblem`) or a non-positive time limit.
 */
export async function optimiseRouting(problem: RoutingProblem, options: RoutingOptions): Promise<RoutingResult> {
  assertValidProblem(problem);
  if (!(options.timeLimitMs > 0) || !Number.isFinite(options.timeLimitMs)) {
    throw new RangeError(`timeLimitMs must be a positive finite number, got ${options.timeLimitMs}`);
  }
  const shortfalls = findShortfalls(problem);
  if (shortfalls.length > 0) return { kind: 'infeasible', shortfalls };

  const now = options.now ?? (() => performance.now());
  const started = now();
  const elapsed = () => Math.max(0, now() - started);
  const greedy = (fallbackReason: string): RoutingPlan => {
    const allocations = greedyAllocations(problem);
    const cost = planCost(problem, allocations);
    return {
      kind: 'planned',
      allocations,
      cost,
      solver: 'greedy',
      method: 'greedy',
      optimal: false,
      solverMs: elapsed(),
      fallbackReason,
    };
  };

  if (candidateCount(problem) <= (options.enumerateUpTo ?? ENUMERATION_MAX_CANDIDATES)) {
    const optimum = enumeratedOptimum(problem, Number.POSITIVE_INFINITY);
    // No shortfall means some plan exists, so the enumeration always finds one.
    if (!optimum) throw new Error('enumeration found no plan for an order without shortfalls');
    return {
      kind: 'planned',
      allocations: optimum.allocations,
      cost: optimum.cost,
      solver: 'milp',
      method: 'enumeration',
      optimal: true,
      solverMs: elapsed(),
    };
  }
  if (!options.solver) return greedy('no MILP solver configured');
  let milp: { allocations: Allocation[]; optimal: boolean } | string;
  try {
    milp = await solveMilp(problem, options.solver, options.timeLimitMs);
  } catch (error) {
    milp = `${options.solver.name} threw: ${error instanceof Error ? error.message : String(error)}`;
  }
  if (typeof milp === 'string') return greedy(milp);

  const cost = planCost(problem, milp.allocations);
  if (!milp.optimal) {
    const fallback = greedy('the time-limited MILP incumbent cost more than the greedy plan');
    if (fallback.cost < cost) return fallback;
  }
  return {
    kind: 'planned',
    allocations: milp.allocations,
    cost,
    solver: 'milp',
    method: 'solver',
    optimal: milp.optimal,
    solverMs: elapsed(),
  };
}

/** The solver's checked plan, or why there is none. */
async function solveMilp(
  problem: RoutingProblem,
  solver: MilpSolver,
  timeLimitMs: number,
): Promise<{ allocations: Allocation[]; optimal: boolean } | string> {
  const milp = buildRoutingMilp(problem);
  const solution = await solver.solve(milp.model, { timeLimitMs });
  if (solution.status === 'infeasible' || solution.status === 'no-solution') {
    return `${solver.name}: ${solution.status} (${solution.detail})`;
  }
  const allocations = milp.toAllocations(solution.values);
  if (!allocations) return `${solver.name}: a value was missing or not integral`;
  const violations = planViolations(problem, allocations);
  if (violations.length > 0) return `${solver.name}: infeasible plan (${violations.slice(0, 3).join('; ')})`;
  return { allocations, optimal: solution.status === 'optimal' };
}
