import type { EventContract, Lane } from './event-contract.js';

/** Retry settings; delays grow exponentially with jitter (BullMQ's own backoff). */
export interface RetryPolicy {
  /** Total attempts, the first included. */
  attempts: number;
  /** Delay before the first retry, in ms; doubled for each further one. */
  backoffMs: number;
  /** Share of each delay that is randomised, 0 to 1. */
  jitter: number;
}

/** How a subscriber wants its events delivered. */
export interface SubscriptionOptions {
  /**
   * Stable, unique name: the inbox and the delivery ledger are keyed by it, so renaming a
   * subscriber replays history into it. Lowercase letters, digits, `.` and `-`.
   */
  name: string;
  /** The owning module, for the catalogue. */
  module: string;
  lane?: Lane;
  retry?: Partial<RetryPolicy>;
  /** Handle one aggregate's events in `aggregateSeq` order. */
  ordered?: boolean;
  /** Error classes that can never succeed on retry: they go straight to dead letters. */
  nonRetryable?: ReadonlyArray<new (...args: never[]) => Error>;
  /**
   * Group commit: events of this subscriber that are delivered while one of its transactions is
   * committing are handled together in the next one (one inbox statement, one COMMIT), up to the
   * lane's concurrency. Each event still gets its own `handle` call, inbox row and ledger update,
   * and all of them commit or none; if any handler throws, the group is rolled back and each event
   * is handled again alone, so only the failing one retries. Only for handlers that do not depend
   * on being alone in their transaction. Not available with `ordered`.
   */
  groupCommit?: boolean;
  /**
   * Only events whose payload has these values get a delivery: the relay tests it (`payload @>
   * filter`, jsonb containment) when it writes the ledger, so a filtered-out event gets no ledger
   * row, no job and no inbox row for this subscriber, and nothing expects one (the sweeper re-drives
   * ledger rows only). Keys must be payload fields of every subscribed contract (the catalogue
   * checks); values are strings, numbers or booleans. Decided from the payload alone, at relay
   * time: never from state that can change.
   */
  filter?: PayloadFilter;
  /**
   * Retired: why the subscriber gets no new deliveries (its effect now happens elsewhere). The relay
   * routes no new event to it, but its handler stays bound, so deliveries made before the release
   * that retired it are still handled, retried and swept; delete the listener once none is open
   * (`SELECT count(*) FROM outbox_delivery WHERE subscriber = … AND state <> 'handled'`).
   */
  retired?: string;
}

/** Payload fields and the values an event must carry in them to be delivered (see {@link SubscriptionOptions.filter}). */
export type PayloadFilter = Readonly<Record<string, string | number | boolean>>;

/** A subscriber of one or more event contracts, as the catalogue knows it. */
export interface Subscription {
  readonly name: string;
  readonly module: string;
  readonly contracts: readonly EventContract[];
  readonly lane: Lane;
  readonly retry: RetryPolicy;
  readonly ordered: boolean;
  readonly nonRetryable: ReadonlyArray<new (...args: never[]) => Error>;
  readonly groupCommit: boolean;
  /** Null: every event of the subscribed contracts. */
  readonly filter: PayloadFilter | null;
  /** Why it gets no new deliveries (see {@link SubscriptionOptions.retired}); null while it does. */
  readonly retired: string | null;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 8, backoffMs: 1000, jitter: 0.5 };
const NAME_PATTERN = /^[a-z0-9][a-z0-9.-]{0,99}$/;

/** Declares a subscription of `contracts`; register it in the catalogue and bind a handler with `@HandlesEvents`. */
export function subscribe(
  contracts: EventContract | readonly EventContract[],
  options: SubscriptionOptions,
): Subscription {
  if (!NAME_PATTERN.test(options.name)) {
    throw new Error(`subscriber name "${options.name}" must match ${NAME_PATTERN} (no ":")`);
  }
  const retry = { ...DEFAULT_RETRY, ...options.retry };
  if (!Number.isInteger(retry.attempts) || retry.attempts < 1)
    throw new Error(`${options.name}: attempts must be >= 1`);
  if (options.groupCommit && options.ordered)
    throw new Error(`${options.name}: groupCommit cannot be combined with ordered`);
  const filter = options.filter === undefined ? null : checkedFilter(options.name, options.filter);
  return Object.freeze({
    name: options.name,
    module: options.module,
    contracts: Object.freeze(Array.isArray(contracts) ? [...contracts] : [contracts as EventContract]),
    lane: options.lane ?? 'default',
    retry: Object.freeze(retry),
    ordered: options.ordered ?? false,
    nonRetryable: Object.freeze([...(options.nonRetryable ?? [])]),
    groupCommit: options.groupCommit ?? false,
    filter,
    retired: options.retired ?? null,
  });
}

function checkedFilter(name: string, filter: PayloadFilter): PayloadFilter {
  const entries = Object.entries(filter);
  if (entries.length === 0) throw new Error(`${name}: an empty filter selects everything; leave it out`);
  for (const [field, value] of entries) {
    if (
      !['string', 'number', 'boolean'].includes(typeof value) ||
      (typeof value === 'number' && !Number.isFinite(value))
    ) {
      throw new Error(`${name}: filter value of "${field}" must be a string, a finite number or a boolean`);
    }
  }
  return Object.freeze({ ...filter });
}

/**
 * Whether `payload` passes `subscription`'s filter: the same test as the relay's `payload @> filter`
 * for the scalar values a filter holds.
 */
export function passesFilter(subscription: Subscription, payload: unknown): boolean {
  if (subscription.filter === null) return true;
  if (typeof payload !== 'object' || payload === null) return false;
  const fields = payload as Record<string, unknown>;
  return Object.entries(subscription.filter).every(([field, value]) => fields[field] === value);
}

/** The filter as the event catalogue shows it, e.g. `purpose = order`. */
export function describeFilter(filter: PayloadFilter): string {
  return Object.entries(filter)
    .map(([field, value]) => `${field} = ${String(value)}`)
    .join(' and ');
}

/** The longest time, in ms, between a delivery's first attempt and its last retry (jitter only shortens delays). */
export function retryHorizonMs({ attempts, backoffMs }: RetryPolicy): number {
  return backoffMs * (2 ** (attempts - 1) - 1);
}
