import * as circus from 'jest-circus';
import { withTimeout } from '../support/test-timeouts.js';

describe('test timeouts (the runner enforces none of its own)', () => {
  it('fails a body that never settles, naming it, once its timeout has passed', async () => {
    const started = Date.now();
    const never = () => new Promise(() => undefined);
    await expect(withTimeout(never, 200, 'test "hangs"')()).rejects.toThrow(
      'test "hangs" did not finish within 200 ms',
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
  });

  it('passes through what a body returns or throws before its timeout', async () => {
    await expect(withTimeout(async () => 42, 1_000, 'quick')()).resolves.toBe(42);
    await expect(
      withTimeout(
        async () => {
          throw new Error('own failure');
        },
        1_000,
        'quick',
      )(),
    ).rejects.toThrow('own failure');
  });

  it('waits for a done callback, and takes its error', async () => {
    await expect(withTimeout((done) => setTimeout(done as () => void, 10), 1_000, 'cb')()).resolves.toBeUndefined();
    await expect(
      withTimeout((done) => (done as (e: Error) => void)(new Error('from done')), 1_000, 'cb')(),
    ).rejects.toThrow('from done');
  });

  it('guards the globals every suite runs under, not jest-circus own', () => {
    const g = globalThis as unknown as Record<string, unknown>;
    for (const name of ['it', 'test', 'beforeAll', 'afterAll', 'beforeEach', 'afterEach']) {
      expect(g[name]).not.toBe((circus as unknown as Record<string, unknown>)[name]);
    }
  });
});
