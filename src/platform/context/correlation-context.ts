import { AsyncLocalStorage } from 'node:async_hooks';
import { v7 as uuidv7 } from 'uuid';

/** What ties a unit of work (an HTTP request, a job) to the chain of events it belongs to. */
export interface CorrelationContext {
  correlationId: string;
  /** The id of the event whose handling caused this work, if any. */
  causationId?: string;
}

const storage = new AsyncLocalStorage<CorrelationContext>();

/** Runs `fn` with `context` visible to everything it calls, synchronously or not. */
export function runWithCorrelation<T>(context: CorrelationContext, fn: () => T): T {
  return storage.run(context, fn);
}

/** The context of the current request or job, if any. */
export function currentCorrelation(): CorrelationContext | undefined {
  return storage.getStore();
}

// Printable, bounded and free of separators that could split log fields or header values.
const VALID_CORRELATION_ID = /^[A-Za-z0-9._-]{1,128}$/;

/** The caller's correlation id when it is well formed, else a new one. */
export function correlationIdFrom(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return value !== undefined && VALID_CORRELATION_ID.test(value) ? value : uuidv7();
}
