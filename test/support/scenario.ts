import { isDeepStrictEqual } from 'node:util';
import { DataSource } from 'typeorm';
import type { Envelope } from '../../src/outbox/index.js';
import { type ClaimedRow, toEnvelope } from '../../src/outbox/testing.js';
import { consistently, eventually } from './eventually.js';
import { currentSuite, onBehalfOf } from './suite-backends.js';
import { startTestApp, type TestApp, type TestAppOptions } from './test-app.js';

/**
 * The scenario test kit (issue 16.6), after Spring Modulith's `Scenario`: a suite gets its app with
 * {@link useTestApp}, drives a stimulus and waits for the events it causes with {@link scenario},
 * instead of repeating the start/close boilerplate and hand-written polling SQL in every suite.
 */

/**
 * Starts an app in `beforeAll` and closes it in `afterAll`; returns a stand-in usable inside hooks
 * and tests as the app itself (`t.url`, `t.app.get(...)`, `t.token(...)`). Reading it before the
 * app has started (at describe time) throws, naming the property.
 *
 * Hooks run in the order they are declared, `afterAll` included: this one closes the app before any
 * `afterAll` declared after it, so a suite that must release something before the app goes (a
 * connection to its database) declares that `afterAll` before calling this.
 */
export function useApp<T extends { close(): Promise<void> }>(start: () => Promise<T>): T {
  let current: T | undefined;
  // This hook's stack does not reach the suite's file: the suite is taken now, so its app gets the
  // suite's queue backend (a Redis-specific suite's Redis) and is recorded under it.
  const suite = currentSuite();
  beforeAll(async () => {
    current = await onBehalfOf(suite, start);
  });
  afterAll(async () => {
    const started = current;
    current = undefined;
    await started?.close();
  });
  return new Proxy({} as T, {
    get(_, property) {
      // Not a promise: `await t` or a matcher probing for `then` sees a plain object.
      if (property === 'then') return undefined;
      if (current === undefined) {
        if (typeof property === 'symbol') return undefined;
        throw new Error(`useTestApp: "${property}" read while no app is running (outside a hook or test?)`);
      }
      const value = Reflect.get(current, property, current) as unknown;
      return typeof value === 'function' ? value.bind(current) : value;
    },
    has: (_, property) => current !== undefined && property in current,
  });
}

/**
 * {@link useApp} with {@link startTestApp}. `options` may be a function, for options only known
 * once an earlier `beforeAll` has run (a stub server's URL).
 */
export function useTestApp(options?: TestAppOptions | (() => TestAppOptions | Promise<TestAppOptions>)): TestApp {
  return useApp(async () => startTestApp(typeof options === 'function' ? await options() : options));
}

/** What an expected event's payload must match: a partial payload (each key given deep-equals the payload's), or a predicate. */
export type EventMatcher = Record<string, unknown> | ((payload: any, envelope: Envelope) => boolean); // eslint-disable-line @typescript-eslint/no-explicit-any

export interface ExpectEventOptions {
  timeoutMs?: number;
  /** Only an event the relay has moved to outbox_event counts (a test about to read it there). */
  relayed?: boolean;
}

/** Where a scenario reads events from: an app (its DataSource) or a DataSource. */
export type EventSource = TestApp | DataSource | (() => TestApp | DataSource);

/**
 * Begins a scenario on `source`: `scenario(t).when(stimulus)` runs the stimulus and returns a
 * {@link Step} on which to wait for the events it causes.
 *
 * ```ts
 * const settled = await scenario(t)
 *   .when(() => client.pay(...))
 *   .expectEvent('debts.debt-settled', { debtId })
 *   .andThen(() => client.getDebt(debtId))
 *   .expectEvent('debts.citizen-cleared', (p) => p.citizenId === who);
 * ```
 */
export function scenario(source: EventSource): { when<R>(stimulus: () => R | Promise<R>): Step<Awaited<R>> } {
  return {
    when<R>(stimulus: () => R | Promise<R>): Step<Awaited<R>> {
      const resolve = () => {
        const s = typeof source === 'function' ? source() : source;
        return s instanceof DataSource ? s : s.app.get(DataSource);
      };
      // Events count from this instant: the writer stamps occurred_at with the same clock.
      const since = new Date();
      return new Step(Promise.resolve().then(stimulus) as Promise<Awaited<R>>, { resolve, since });
    },
  };
}

interface ScenarioContext {
  resolve(): DataSource;
  /** Only events that occurred at or after this count. */
  since: Date;
}

/**
 * One step of a scenario: a promise of its value (the stimulus's result, an expected event's
 * envelope, what an `andThen` returned) with the next steps chained on it. Await it to run the
 * chain to its end.
 */
export class Step<T> implements PromiseLike<T> {
  constructor(
    private readonly value: Promise<T>,
    private readonly context: ScenarioContext,
  ) {}

  /**
   * Waits until an event of `type` whose payload matches `matcher` has been appended since the
   * stimulus began (relayed or not yet); resolves with its envelope, the earliest if several match.
   * Fails after `timeoutMs` naming the type and the events of it that were seen.
   */
  expectEvent<P = any>( // eslint-disable-line @typescript-eslint/no-explicit-any
    type: string,
    matcher?: EventMatcher,
    { timeoutMs = 15_000, relayed = false }: ExpectEventOptions = {},
  ): Step<Envelope<P>> {
    return this.next(async () => {
      let seen: Envelope[] = [];
      try {
        return await eventually(
          async () => {
            seen = await eventsSince(this.context.resolve(), this.context.since, { relayed });
            const found = seen.find((e) => e.type === type && matches(e, matcher));
            if (!found) throw new Error('not yet');
            return found as Envelope<P>;
          },
          { timeoutMs },
        );
      } catch {
        throw new Error(
          `scenario: no ${relayed ? 'relayed ' : ''}event ${type}${describeMatcher(matcher)} within ${timeoutMs} ms of the stimulus; ` +
            describeSeen(type, seen),
        );
      }
    });
  }

  /**
   * Asserts that no event of `type` (matching `matcher`, when given) is appended during `within` ms
   * from now; fails as soon as one is, with its payload.
   */
  expectNoEvent(type: string, { within, matching }: { within: number; matching?: EventMatcher }): Step<T> {
    return this.next(async (value) => {
      await consistently(
        async () => {
          const seen = await eventsSince(this.context.resolve(), this.context.since);
          const found = seen.find((e) => e.type === type && matches(e, matching));
          if (found) {
            throw new Error(
              `scenario: event ${type}${describeMatcher(matching)} appeared, expected none within ${within} ms: ` +
                JSON.stringify(found.payload),
            );
          }
        },
        { within },
      );
      return value;
    });
  }

  /** Runs `fn` with the previous step's value; its result is the next step's value. */
  andThen<U>(fn: (previous: T) => U | Promise<U>): Step<Awaited<U>> {
    return this.next((value) => Promise.resolve(fn(value)) as Promise<Awaited<U>>);
  }

  then<A = T, B = never>(
    onFulfilled?: ((value: T) => A | PromiseLike<A>) | null,
    onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    return this.value.then(onFulfilled, onRejected);
  }

  private next<U>(fn: (value: T) => Promise<U>): Step<U> {
    return new Step(this.value.then(fn), this.context);
  }
}

/**
 * Events appended since `since`, relayed (outbox_event) or not yet (outbox_message, left out with
 * `relayed`), oldest first.
 */
export async function eventsSince(db: DataSource, since: Date, { relayed = false } = {}): Promise<Envelope[]> {
  const columns = `id, type, version, aggregate_type, aggregate_id, aggregate_seq, occurred_at, correlation_id,
                   causation_id, payload`;
  const pending = relayed ? '' : `UNION ALL SELECT ${columns} FROM outbox_message WHERE occurred_at >= $1`;
  const rows: Array<Omit<ClaimedRow, 'subscriber'>> = await db.query(
    `SELECT * FROM (SELECT ${columns} FROM outbox_event WHERE occurred_at >= $1 ${pending}) e
     ORDER BY occurred_at, id`,
    [since],
  );
  return rows.map(toEnvelope);
}

function matches(envelope: Envelope, matcher: EventMatcher | undefined): boolean {
  if (matcher === undefined) return true;
  if (typeof matcher === 'function') return matcher(envelope.payload, envelope);
  const payload = envelope.payload as Record<string, unknown> | null;
  return (
    typeof payload === 'object' &&
    payload !== null &&
    Object.entries(matcher).every(([key, expected]) => isDeepStrictEqual(payload[key], expected))
  );
}

function describeMatcher(matcher: EventMatcher | undefined): string {
  if (matcher === undefined) return '';
  return typeof matcher === 'function' ? ' matching the predicate' : ` matching ${JSON.stringify(matcher)}`;
}

function describeSeen(type: string, seen: Envelope[]): string {
  const ofType = seen.filter((e) => e.type === type);
  const others = new Map<string, number>();
  for (const e of seen) if (e.type !== type) others.set(e.type, (others.get(e.type) ?? 0) + 1);
  const payloads = ofType.map((e) => JSON.stringify(e.payload)).join(', ');
  const rest = [...others].map(([other, n]) => `${other} ×${n}`).join(', ');
  return (
    `seen ${ofType.length} of ${type}${ofType.length > 0 ? `: ${payloads}` : ''}` +
    `; other events: ${rest === '' ? 'none' : rest}`
  );
}
