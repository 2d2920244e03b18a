/**
 * Waits `ms` on purpose. Never for an outcome (that is `eventually()`, or `consistently()` for
 * "nothing else happens"): only where time passing is itself the point — load pacing, a fault
 * schedule, chaos jitter, a handler made slow on purpose, a sampler's interval. Every caller says
 * which in a comment; test/kit/no-fixed-waits.e2e-spec.ts keeps raw timers out of the other files.
 */
export function pace(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
