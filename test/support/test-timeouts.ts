/**
 * Test and hook timeouts. jest-light-runner (docs/adr/0004-esm-and-test-runner.md) runs each test
 * and hook as a bare promise: it ignores the timeout argument of `it(name, fn, timeout)` and Jest's
 * `testTimeout`, so one promise that never settles (a client stuck on a dead server, a lost event)
 * would hold the whole run until CI's own limit kills it, naming nothing. Loaded as a
 * `setupFilesAfterEnv` file, after the runner has put Jest's globals in place, this wraps `it`/`test`
 * and the four hooks so each fails with its name once its timeout (the argument, else the default
 * below) has passed. The abandoned promise keeps running; the suite's `afterAll` still closes what
 * it opened.
 */

import { settleWithin } from './deadline.js';

/** Generous: a test that needs longer says so with its third argument. */
export const DEFAULT_TIMEOUT_MS = 120_000;

type Body = (...args: unknown[]) => unknown;

function settle(fn: Body): Promise<unknown> {
  // A body that takes a `done` callback finishes when it is called, as in Jest.
  if (fn.length >= 1) {
    return new Promise((resolve, reject) => fn((error: unknown) => (error ? reject(error) : resolve(undefined))));
  }
  return Promise.resolve().then(() => fn());
}

export function withTimeout(fn: Body, timeoutMs: number | undefined, label: string): () => Promise<unknown> {
  const ms = timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return () =>
    settleWithin(
      settle(fn),
      ms,
      () => new Error(`${label} did not finish within ${ms} ms (test/support/test-timeouts.ts)`),
    );
}

type TestFn = (name: string, fn?: Body, timeout?: number) => unknown;
type HookFn = (fn: Body, timeout?: number) => unknown;

function guardTest(original: TestFn & Record<string, unknown>): TestFn {
  const wrap =
    (register: TestFn): TestFn =>
    (name, fn, timeout) =>
      register(name, fn && withTimeout(fn, timeout, `test "${name}"`), timeout);
  const guarded = Object.assign(wrap(original), original) as TestFn & Record<string, unknown>;
  // `.only` registers a test that runs; `.skip`, `.todo` and `.each` keep their own behaviour.
  guarded.only = wrap(original.only as TestFn);
  return guarded;
}

function guardHook(original: HookFn, kind: string): HookFn {
  return (fn, timeout) => original(withTimeout(fn, timeout, kind), timeout);
}

const g = globalThis as unknown as Record<string, unknown>;
if (typeof g.it === 'function') {
  const it = guardTest(g.it as TestFn & Record<string, unknown>);
  g.it = it;
  g.test = it;
  g.fit = (it as unknown as Record<string, unknown>).only;
  for (const hook of ['beforeAll', 'afterAll', 'beforeEach', 'afterEach']) {
    g[hook] = guardHook(g[hook] as HookFn, hook);
  }
}
