import { Piscina } from 'piscina';
import type { MilpModel, MilpSolution, MilpSolveOptions, MilpSolver } from '../../domain/routing/milp-solver.port.js';

/** What the main thread sends a worker for one solve. */
export interface SolveTask {
  readonly model: MilpModel;
  readonly options: MilpSolveOptions;
}

/** How a {@link PooledMilpSolver} runs. */
export interface PooledMilpSolverOptions {
  /** Worker threads, each with its own HiGHS runtime (`ROUTING_SOLVER_THREADS`). */
  readonly threads: number;
  /** Solves that may wait for a free thread; one more rejects (and the order is routed greedily). */
  readonly maxQueue?: number;
}

/** The worker module, next to this one in whichever build runs (`dist/` for the app, `.test-build/` for tests). */
const WORKER_FILE = new URL('./highs-worker.js', import.meta.url).href;

/**
 * {@link MilpSolver} that runs HiGHS in a pool of worker threads (piscina), so a solve never blocks
 * the event loop that serves HTTP and deliveries (ADR 0024). Each thread loads the WASM runtime once
 * and solves one model at a time with the caller's time limit; solves beyond the free threads wait in
 * a bounded queue (the wait is not counted against the limit).
 *
 * A solve rejects when the queue is full, when the worker throws, or when its thread dies (piscina
 * starts a new one); `optimiseRouting` then plans greedily. The pool starts on the first solve or on
 * {@link warmUp}, so processes that never route start no threads, and {@link onApplicationShutdown} stops it
 * with the application.
 */
export class PooledMilpSolver implements MilpSolver {
  readonly name = 'highs (worker pool)';

  private pool: Piscina<SolveTask, MilpSolution> | undefined;
  private stopped = false;

  constructor(private readonly options: PooledMilpSolverOptions) {
    if (!Number.isSafeInteger(options.threads) || options.threads < 1) {
      throw new RangeError(`threads must be a positive integer, got ${options.threads}`);
    }
  }

  /** Starts the threads and waits until one has loaded HiGHS and solved a trivial model. */
  async warmUp(): Promise<void> {
    await this.solve(
      { variables: [{ name: 'w', type: 'binary', lower: 0, upper: 1, cost: 1 }], constraints: [] },
      { timeLimitMs: 1000 },
    );
  }

  solve(model: MilpModel, options: MilpSolveOptions): Promise<MilpSolution> {
    if (this.stopped) return Promise.reject(new Error('the solver pool has been stopped'));
    this.pool ??= new Piscina<SolveTask, MilpSolution>({
      filename: WORKER_FILE,
      minThreads: this.options.threads,
      maxThreads: this.options.threads,
      idleTimeout: Number.POSITIVE_INFINITY,
      maxQueue: this.options.maxQueue ?? 1000,
    });
    return this.pool.run({ model, options });
  }

  /** Worker threads currently running (0 before the first solve and after destroy). */
  get threadCount(): number {
    return this.pool?.threads.length ?? 0;
  }

  /**
   * Stops every thread; solves still running or queued reject, and so does any later solve. Nest calls
   * it after `beforeApplicationShutdown`, where the delivery workers drain, so reservations still in
   * flight at shutdown finish with the solver rather than falling back to greedy.
   */
  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    const pool = this.pool;
    this.pool = undefined;
    await pool?.destroy();
  }
}
