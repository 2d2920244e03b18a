import type { Logger } from '@nestjs/common';

/**
 * How long a call to the queues may take where something waits on it: the relay's and the sweeper's
 * enqueue (the sweeper holds row locks meanwhile) and the sweeper's job-state checks. Producer
 * connections also time out each command (ioredis `commandTimeout`); this bound covers what that
 * does not, such as a Cluster client's own retries and queues (docs/adr/0041-producer-commands-time-out.md).
 */
export const QUEUE_CALL_DEADLINE_MS = 15_000;
/** How long closing one queue or connection may take on shutdown before its sockets are cut. */
export const CLOSE_DEADLINE_MS = 5_000;

/** Thrown when a call to the queues has not settled by its deadline. */
export class QueueCallTimeoutError extends Error {}

/**
 * `call`'s result, or a {@link QueueCallTimeoutError} once `deadlineMs` has passed with it still
 * pending (it is not cancelled: a late enqueue is harmless, job ids being deterministic).
 */
export async function withinDeadline<T>(
  call: Promise<T>,
  what: string,
  deadlineMs = QUEUE_CALL_DEADLINE_MS,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new QueueCallTimeoutError(`${what}: no answer within ${deadlineMs} ms`)),
      deadlineMs,
    );
  });
  try {
    return await Promise.race([call, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** A BullMQ queue or worker, or an ioredis client: closed gracefully, or cut. */
export interface Closable {
  close(): Promise<unknown>;
  disconnect?(): unknown;
}

/**
 * Closes `closable`, waiting at most `withinMs`; past that, logs a warning naming it, cuts its
 * connections (`disconnect`) and returns without waiting any longer. BullMQ's `close()` awaits the
 * end of a connection that, left reconnecting (a Redis Cluster node lost and back), may never end
 * (taskforcesh/bullmq#4656): a graceful shutdown must still finish. A worker's `withinMs` is the
 * whole shutdown budget, as its close waits for its active jobs.
 */
export async function closeWithin(closable: Closable, what: string, withinMs: number, logger: Logger): Promise<void> {
  const closed = Promise.resolve()
    .then(() => closable.close())
    .catch((error: Error) => logger.warn(`${what}: close failed (${error.message})`));
  try {
    await withinDeadline(closed, what, withinMs);
    return;
  } catch {
    // Only the deadline can fail `closed`.
  }
  logger.warn(`${what} did not close within ${withinMs} ms: its connections are cut`);
  try {
    Promise.resolve(closable.disconnect?.()).catch(() => undefined);
  } catch {
    // Cutting is best effort: the process is ending.
  }
}
