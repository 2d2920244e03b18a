import { Logger } from '@nestjs/common';
import { closeWithin, QueueCallTimeoutError, withinDeadline } from './bounded.js';

const never = () => new Promise<never>(() => undefined);

class RecordingLogger extends Logger {
  readonly warnings: string[] = [];
  override warn(message: string): void {
    this.warnings.push(message);
  }
}

describe('withinDeadline', () => {
  it('passes a call that settles in time through, value or failure', async () => {
    await expect(withinDeadline(Promise.resolve(7), 'quick', 1_000)).resolves.toBe(7);
    await expect(withinDeadline(Promise.reject(new Error('refused')), 'quick', 1_000)).rejects.toThrow('refused');
  });

  it('fails a call still pending at its deadline, naming it', async () => {
    const started = Date.now();
    const failure = withinDeadline(never(), 'enqueue of 3 deliveries', 100);
    await expect(failure).rejects.toBeInstanceOf(QueueCallTimeoutError);
    await expect(failure).rejects.toThrow('enqueue of 3 deliveries: no answer within 100 ms');
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
  });
});

describe('closeWithin', () => {
  it('returns once the closable has closed, cutting nothing', async () => {
    const logger = new RecordingLogger();
    let cut = false;
    await closeWithin({ close: async () => undefined, disconnect: () => (cut = true) }, 'queue default', 1_000, logger);
    expect(cut).toBe(false);
    expect(logger.warnings).toEqual([]);
  });

  it('cuts a closable whose close never ends, after its deadline, and says so', async () => {
    const logger = new RecordingLogger();
    let cut = false;
    const started = Date.now();
    await closeWithin({ close: never, disconnect: () => (cut = true) }, 'worker critical', 100, logger);
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    expect(cut).toBe(true);
    expect(logger.warnings).toEqual(['worker critical did not close within 100 ms: its connections are cut']);
  });

  it('logs a close that fails and does not throw it', async () => {
    const logger = new RecordingLogger();
    await closeWithin(
      { close: async () => Promise.reject(new Error('Connection is closed.')) },
      'redis connection',
      1_000,
      logger,
    );
    expect(logger.warnings).toEqual(['redis connection: close failed (Connection is closed.)']);
  });

  it('does not wait for a disconnect that never ends either', async () => {
    const logger = new RecordingLogger();
    await closeWithin({ close: never, disconnect: never }, 'queue bulk', 50, logger);
    expect(logger.warnings).toHaveLength(1);
  });
});
