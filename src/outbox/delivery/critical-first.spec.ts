import type { OutboxOptions } from '../outbox-options.js';
import { CriticalFirst } from './critical-first.js';

function criticalFirst(criticalHoldMs: number, bulkYieldMaxMs: number): CriticalFirst {
  return new CriticalFirst({ criticalHoldMs, bulkYieldMaxMs } as OutboxOptions);
}

describe('CriticalFirst', () => {
  it('is busy from a critical commit until that delivery finishes', () => {
    const gate = criticalFirst(60_000, 100);
    expect(gate.busy()).toBe(false);
    gate.committed(['a', 'b']);
    expect(gate.busy()).toBe(true);
    gate.finished('a');
    expect(gate.busy()).toBe(true);
    gate.finished('b');
    expect(gate.busy()).toBe(false);
  });

  it('forgets a critical event after the hold time (it may have been handled by another process)', async () => {
    const gate = criticalFirst(30, 100);
    gate.committed(['elsewhere']);
    expect(gate.busy()).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(gate.busy()).toBe(false);
  });

  it('lets bulk work wait for critical work, but never longer than the yield bound', async () => {
    const bounded = criticalFirst(60_000, 80);
    bounded.committed(['slow']);
    const started = performance.now();
    await bounded.yieldToCritical();
    expect(performance.now() - started).toBeGreaterThanOrEqual(75);
  });

  it('lets bulk work go on as soon as the critical work is done', async () => {
    const gate = criticalFirst(60_000, 10_000);
    gate.committed(['quick']);
    setTimeout(() => gate.finished('quick'), 20);
    const started = performance.now();
    await gate.yieldToCritical();
    const waited = performance.now() - started;
    expect(waited).toBeGreaterThanOrEqual(15);
    expect(waited).toBeLessThan(5_000);
  });

  it('does not wait at all when the yield bound is 0', async () => {
    const gate = criticalFirst(60_000, 0);
    gate.committed(['x']);
    const started = performance.now();
    await gate.yieldToCritical();
    expect(performance.now() - started).toBeLessThan(20);
  });

  it('stays bounded in a process whose critical events are all handled elsewhere', async () => {
    const gate = criticalFirst(5, 100);
    for (let round = 0; round < 10; round += 1) {
      gate.committed(Array.from({ length: 500 }, (_, i) => `r${round}-${i}`));
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    // 5,000 committed, never finished here: only what the last prune could not drop yet remains.
    expect(gate.inFlightCount).toBeLessThanOrEqual(1024 + 500);
  });
});
