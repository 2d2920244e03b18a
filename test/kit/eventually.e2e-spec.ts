import { eventually } from '../support/eventually.js';

describe('eventually', () => {
  it('returns the first value a probe gives without throwing', async () => {
    let calls = 0;
    const value = await eventually(
      () => {
        calls += 1;
        if (calls < 3) throw new Error('not yet');
        return calls;
      },
      { timeoutMs: 1_000, intervalMs: 5 },
    );
    expect(value).toBe(3);
  });

  it('rethrows the last failure once the deadline has passed', async () => {
    await expect(
      eventually(
        () => {
          throw new Error('still wrong');
        },
        { timeoutMs: 100, intervalMs: 10 },
      ),
    ).rejects.toThrow('still wrong');
  });

  it('fails a probe that never settles at the deadline, saying what the attempt before it saw', async () => {
    let calls = 0;
    const started = Date.now();
    await expect(
      eventually(
        () => {
          calls += 1;
          return calls === 1 ? Promise.reject(new Error('first attempt refused')) : new Promise<never>(() => undefined);
        },
        { timeoutMs: 200, intervalMs: 5 },
      ),
    ).rejects.toThrow('the probe was still pending at the deadline; the attempt before failed: first attempt refused');
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});
