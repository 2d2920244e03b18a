/**
 * The worker-thread side of {@link PooledMilpSolver}: each thread of the pool loads this module once,
 * so it loads the HiGHS WASM runtime once, and then solves the models it is sent. Piscina calls the
 * default export with each task; its answer (a `Map` of values included) travels back by structured
 * clone, and a throw rejects the task in the main thread.
 */
import type { MilpSolution } from '../../domain/routing/milp-solver.port.js';
import { HighsMilpSolver } from './highs-solver.js';
import type { SolveTask } from './pooled-milp-solver.js';

const solver = new HighsMilpSolver();
await solver.warmUp();

export default function solve(task: SolveTask): Promise<MilpSolution> {
  return solver.solve(task.model, task.options);
}
