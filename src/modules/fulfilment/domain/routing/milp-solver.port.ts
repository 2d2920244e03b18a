/**
 * The port to a mixed-integer linear programming solver. The domain builds a {@link MilpModel}; an
 * adapter outside the domain (application/routing/highs-solver.ts) solves it.
 */

/** `binary` is an integer in [0, 1]; its bounds are implied. */
export type MilpVariableType = 'continuous' | 'integer' | 'binary';

/** A decision variable with its bounds and objective coefficient. */
export interface MilpVariable {
  /** Letters, digits and `_`, not starting with a digit or `e`/`E` (safe in the CPLEX LP format). */
  readonly name: string;
  readonly type: MilpVariableType;
  /** Finite, or `-Infinity`. */
  readonly lower: number;
  /** Finite, or `Infinity`. */
  readonly upper: number;
  /** Objective coefficient. */
  readonly cost: number;
}

/** `coefficient × variable`. */
export interface MilpTerm {
  readonly variable: string;
  readonly coefficient: number;
}

/** `Σ terms relation rhs`. */
export interface MilpConstraint {
  /** Same rules as {@link MilpVariable.name}. */
  readonly name: string;
  readonly terms: readonly MilpTerm[];
  readonly relation: '<=' | '>=' | '=';
  readonly rhs: number;
}

/** Minimise Σ cost × variable subject to the constraints and the variables' bounds and types. */
export interface MilpModel {
  readonly variables: readonly MilpVariable[];
  readonly constraints: readonly MilpConstraint[];
}

/** How long the solver may search. */
export interface MilpSolveOptions {
  /** Wall-clock limit in milliseconds, positive. */
  readonly timeLimitMs: number;
}

/**
 * `optimal`: proved optimal. `feasible`: a limit stopped the search with an incumbent that is feasible
 * but not proved optimal. `infeasible`: proved to have no solution. `no-solution`: stopped (time limit,
 * numerical trouble) without any feasible solution. Solver failures are thrown, not returned.
 */
export type MilpSolution =
  | MilpSolutionFound
  | { readonly status: 'infeasible'; readonly detail: string }
  | { readonly status: 'no-solution'; readonly detail: string };

/** A solution with values for every variable. */
export interface MilpSolutionFound {
  readonly status: 'optimal' | 'feasible';
  readonly objective: number;
  readonly values: ReadonlyMap<string, number>;
}

/** A MILP solver. Implementations may block the thread for up to the time limit. */
export interface MilpSolver {
  /** For logs, e.g. `highs 1.11.0`. */
  readonly name: string;
  solve(model: MilpModel, options: MilpSolveOptions): Promise<MilpSolution>;
}
