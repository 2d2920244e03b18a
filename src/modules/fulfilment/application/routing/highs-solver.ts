import highsModule, { type Highs } from 'highs';
import type { MilpModel, MilpSolution, MilpSolveOptions, MilpSolver } from '../../domain/routing/milp-solver.port.js';
import { toCplexLp } from '../../domain/routing/cplex-lp.js';

/*
 * highs ships one types.d.ts for its CommonJS and ES builds. Under NodeNext TypeScript reads it as
 * CommonJS, so it types the default import as the whole module; Node loads the ES build, whose default
 * export is the loader function itself. Accept either shape.
 */
const highsLoader: typeof highsModule.default = typeof highsModule === 'function' ? highsModule : highsModule.default;

/** Loads and instantiates the HiGHS WebAssembly module (tens of milliseconds). */
export type HighsLoader = () => Promise<Highs>;

/** The default {@link HighsLoader}: a new instance of the `highs` package's WASM module per call. */
export const loadHighs: HighsLoader = () => highsLoader();

/**
 * {@link MilpSolver} backed by HiGHS compiled to WebAssembly (the `highs` npm package).
 *
 * The model goes to HiGHS as CPLEX LP text. Each instance loads the WASM module on its first solve and
 * reuses it (keep one instance per process, e.g. a singleton provider); each solve gets a fresh native
 * solver, so calls share no state. If a solve throws, the module is dropped and loaded again on the next
 * solve, in case the WASM runtime aborted. A solve is synchronous: it blocks the event loop
 * for up to the time limit, which is why callers keep the limit short. Relative and absolute MIP gaps
 * are 0, so `optimal` means optimal, not "within 0.01 %".
 */
export class HighsMilpSolver implements MilpSolver {
  readonly name = 'highs';

  private runtime: Promise<Highs> | undefined;

  /** @param load supplies the HiGHS runtime; tests may pass a stub. Defaults to the `highs` package. */
  constructor(private readonly load: HighsLoader = loadHighs) {}

  /**
   * Loads the WASM runtime now, so the first solve's time (and time limit) is spent solving. Call it
   * at start; a failure is left for the first solve to report (and to fall back from).
   */
  async warmUp(): Promise<void> {
    try {
      await (this.runtime ??= this.load());
    } catch {
      this.runtime = undefined;
    }
  }

  /**
   * Solves `model` within `options.timeLimitMs`. Resolves `optimal`, `feasible` (time limit reached with
   * an incumbent), `infeasible` or `no-solution`; rejects when HiGHS fails to load or reports an error.
   */
  async solve(model: MilpModel, options: MilpSolveOptions): Promise<MilpSolution> {
    const lp = toCplexLp(model);
    const runtime = (this.runtime ??= this.load());
    let result: ReturnType<Highs['solve']>;
    try {
      result = (await runtime).solve(lp, {
        time_limit: options.timeLimitMs / 1000,
        mip_rel_gap: 0,
        mip_abs_gap: 0,
        output_flag: false,
        log_to_console: false,
      });
    } catch (error) {
      if (this.runtime === runtime) this.runtime = undefined;
      throw error;
    }
    switch (result.Status) {
      case 'Optimal':
        return { status: 'optimal', objective: result.ObjectiveValue, values: primalValues(result.Columns) };
      case 'Infeasible':
        return { status: 'infeasible', detail: result.Status };
      case 'Time limit reached':
      case 'Iteration limit reached': {
        // The legacy result has no "incumbent found" flag: stopped before finding one, HiGHS still fills
        // Columns (with zeros or relaxation values). So the values count only if they satisfy the model.
        const values = primalValues(result.Columns);
        return satisfies(model, values)
          ? { status: 'feasible', objective: result.ObjectiveValue, values }
          : { status: 'no-solution', detail: `${result.Status} before any feasible solution` };
      }
      default:
        throw new Error(`HiGHS ended with status ${result.Status}`);
    }
  }
}

function primalValues(columns: Readonly<Record<string, unknown>>): Map<string, number> {
  const values = new Map<string, number>();
  for (const [name, column] of Object.entries(columns)) {
    const primal = (column as { Primal?: unknown }).Primal;
    if (typeof primal === 'number') values.set(name, primal);
  }
  return values;
}

const TOLERANCE = 1e-6;

/** Whether `values` give every variable a value within its bounds and type and meet every constraint. */
function satisfies(model: MilpModel, values: ReadonlyMap<string, number>): boolean {
  for (const variable of model.variables) {
    const value = values.get(variable.name);
    if (value === undefined || !Number.isFinite(value)) return false;
    const [lower, upper] = variable.type === 'binary' ? [0, 1] : [variable.lower, variable.upper];
    if (value < lower - TOLERANCE || value > upper + TOLERANCE) return false;
    if (variable.type !== 'continuous' && Math.abs(value - Math.round(value)) > TOLERANCE) return false;
  }
  return model.constraints.every((constraint) => {
    const lhs = constraint.terms.reduce((sum, term) => sum + term.coefficient * values.get(term.variable)!, 0);
    const slack = Math.max(TOLERANCE, TOLERANCE * Math.abs(constraint.rhs));
    if (constraint.relation === '<=') return lhs <= constraint.rhs + slack;
    if (constraint.relation === '>=') return lhs >= constraint.rhs - slack;
    return Math.abs(lhs - constraint.rhs) <= slack;
  });
}
