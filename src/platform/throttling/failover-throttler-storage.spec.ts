import { Logger } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import { FailoverThrottlerStorage, PerProcessThrottlerStorage } from './failover-throttler-storage.js';

type Answer = 'count' | 'fail' | 'hang';

/** A shared storage whose next answers the test decides: counted, failed or never answered. */
class ScriptedStorage implements ThrottlerStorage {
  answer: Answer = 'count';
  calls = 0;
  hits = 0;

  increment(): ReturnType<ThrottlerStorage['increment']> {
    this.calls++;
    if (this.answer === 'fail') return Promise.reject(new Error('Stream is not writeable'));
    if (this.answer === 'hang') return new Promise(() => undefined);
    this.hits++;
    return Promise.resolve({ totalHits: this.hits, timeToExpire: 60, isBlocked: false, timeToBlockExpire: 0 });
  }
}

describe('FailoverThrottlerStorage', () => {
  const TIMEOUT_MS = 20;
  const RETRY_AFTER_MS = 5000;
  let clock: number;
  let shared: ScriptedStorage;
  let storage: FailoverThrottlerStorage;
  let warn: jest.SpyInstance;
  let log: jest.SpyInstance;

  beforeEach(() => {
    clock = 0;
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    log = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    shared = new ScriptedStorage();
    storage = new FailoverThrottlerStorage(shared, {
      timeoutMs: TIMEOUT_MS,
      retryAfterMs: RETRY_AFTER_MS,
      now: () => clock,
    });
  });
  afterEach(() => {
    storage.onApplicationShutdown();
    jest.restoreAllMocks();
  });

  /** Lets a background probe (answered at once by the scripted storage) finish. */
  const settle = () => new Promise((resolve) => setImmediate(resolve));
  const hit = (limit = 2) => storage.increment('principal-citizen-a', 60_000, limit, 60_000, 'default');

  it('counts in the shared storage while it answers', async () => {
    expect((await hit()).totalHits).toBe(1);
    expect(shared.hits).toBe(1);
    expect(storage.fallenBack).toBe(false);
    expect(warn).not.toHaveBeenCalled();
  });

  it('counts in the process when the shared storage fails, with one warning for any number of failures', async () => {
    shared.answer = 'fail';
    const answers = await Promise.all([hit(), hit(), hit()]);
    expect(answers.map((a) => a.isBlocked)).toEqual([false, false, true]); // the limit of 2 still holds
    expect(storage.fallenBack).toBe(true);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(shared.calls).toBe(3);
    // While the circuit is open, requests do not touch the shared storage at all.
    await hit();
    expect(shared.calls).toBe(3);
  });

  it('gives a count that gets no answer up after the timeout', async () => {
    shared.answer = 'hang';
    const started = performance.now();
    expect((await hit()).totalHits).toBe(1);
    expect(performance.now() - started).toBeLessThan(TIMEOUT_MS + 200);
    expect(storage.fallenBack).toBe(true);
    expect(warn).toHaveBeenCalledTimes(1);
  });

  it('tries the shared storage again in the background after retryAfterMs and returns to it once it answers', async () => {
    shared.answer = 'fail';
    await hit(100);
    clock += RETRY_AFTER_MS;
    // Still failing: the probe keeps the circuit open and the request is counted locally.
    await hit(100);
    await settle();
    expect(shared.calls).toBe(2);
    expect(storage.fallenBack).toBe(true);

    shared.answer = 'count';
    await hit(100); // within retryAfterMs of the failed probe: no new probe
    expect(shared.calls).toBe(2);
    clock += RETRY_AFTER_MS;
    await hit(100);
    await settle();
    expect(shared.calls).toBe(3);
    expect(storage.fallenBack).toBe(false);
    expect(log).toHaveBeenCalledTimes(1);
    expect(warn).toHaveBeenCalledTimes(1);

    // A later outage is reported again, once.
    shared.answer = 'fail';
    await hit(100);
    expect(warn).toHaveBeenCalledTimes(2);
  });
});

describe('PerProcessThrottlerStorage', () => {
  it("keeps each throttler's budget of a key apart: one used up does not block the other", async () => {
    const storage = new PerProcessThrottlerStorage();
    try {
      const hit = (throttler: string) => storage.increment('ip-127.0.0.1', 60_000, 2, 60_000, throttler);
      await hit('default');
      await hit('default');
      expect((await hit('default')).isBlocked).toBe(true);
      const webhook = await hit('webhook');
      expect(webhook.isBlocked).toBe(false);
      expect(webhook.totalHits).toBe(1);
      expect(storage.size).toBe(2);
    } finally {
      storage.onApplicationShutdown();
    }
  });
});
