import { plainToInstance } from 'class-transformer';
import { getMetadataStorage, validateSync, type ValidationError } from 'class-validator';

/** The lanes deliveries travel in; each has its own queue and worker concurrency. */
export const LANES = ['critical', 'default', 'bulk'] as const;
export type Lane = (typeof LANES)[number];

/**
 * The envelope every event travels in (SPEC.md, "Events").
 * @typeParam P - the payload: ids and primitives only; money as integer minor units plus currency.
 */
export interface Envelope<P = unknown> {
  /** UUID v7, assigned at append; stays the same through retries, re-drives and replays. */
  id: string;
  /** `<module>.<past-tense-kebab>`, e.g. `payments.payment-confirmed`. */
  type: string;
  version: number;
  aggregateType: string;
  aggregateId: string;
  /** 1, 2, 3… per aggregate, assigned in commit order. */
  aggregateSeq: number;
  /** ISO 8601 UTC. */
  occurredAt: string;
  correlationId: string;
  /** The id of the event whose handling appended this one; null when a request did. */
  causationId: string | null;
  payload: P;
  /**
   * The W3C trace context of the span that appended the event, or (in a delivery job) of the relay
   * span that enqueued it; present only while tracing is on. Telemetry, never business data.
   */
  traceparent?: string;
}

/** A published event contract: one type at one version, owned by one module. */
export interface EventContract<P = unknown> {
  readonly type: string;
  readonly version: number;
  /** The module that owns and alone appends this event. */
  readonly owner: string;
  /** The kind of aggregate the event is about, e.g. `debt`. */
  readonly aggregateType: string;
  readonly description: string;
  /** A class-validator class describing the payload. */
  readonly payload: new () => P;
}

const TYPE_PATTERN = /^[a-z][a-z0-9]*(-[a-z0-9]+)*\.[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

/** Declares an event contract; the type must read `<module>.<past-tense-kebab>` and start with its owner. */
export function defineEvent<P>(contract: EventContract<P>): EventContract<P> {
  if (!TYPE_PATTERN.test(contract.type) || !contract.type.startsWith(`${contract.owner}.`)) {
    throw new Error(`event type "${contract.type}" must be "${contract.owner}.<past-tense-kebab>"`);
  }
  if (!Number.isInteger(contract.version) || contract.version < 1) {
    throw new Error(`event ${contract.type} has an invalid version ${contract.version}`);
  }
  return Object.freeze({ ...contract });
}

/**
 * Turns a stored or in-flight event of one contract version into the next (docs/adr/0045-event-upcasters.md):
 * a subscriber that handles `to` also receives `from` events, upcast on delivery (and on replay from a
 * dead letter). Pure and total: it sees only the payload, and must not fail on a valid `from` payload.
 */
export interface Upcaster {
  readonly from: EventContract;
  readonly to: EventContract;
  readonly upcast: (payload: unknown) => unknown;
}

/** Declares an upcaster from one version of an event to the next; typed by the two contracts' payloads. */
export function defineUpcaster<From, To>(upcaster: {
  from: EventContract<From>;
  to: EventContract<To>;
  upcast: (payload: From) => To;
}): Upcaster {
  const { from, to, upcast } = upcaster;
  if (from.type !== to.type || to.version !== from.version + 1) {
    throw new Error(
      `an upcaster goes from one version to the next of one event, not ${from.type} v${from.version} → ${to.type} v${to.version}`,
    );
  }
  return Object.freeze({ from, to, upcast: (payload: unknown) => upcast(payload as From) });
}

/** The payload does not satisfy its contract; never retried, since it can never succeed. */
export class InvalidEventPayloadError extends Error {
  constructor(
    readonly type: string,
    readonly problems: string[],
  ) {
    super(`invalid ${type} payload: ${problems.join('; ')}`);
    this.name = 'InvalidEventPayloadError';
  }
}

/** Validates `payload` against `contract`, throwing {@link InvalidEventPayloadError}. */
export function assertValidPayload(contract: EventContract, payload: unknown): void {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw new InvalidEventPayloadError(contract.type, ['payload must be an object']);
  }
  const errors = validateSync(plainToInstance(contract.payload, payload) as object, {
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
  });
  if (errors.length > 0) throw new InvalidEventPayloadError(contract.type, describe(errors));
}

function describe(errors: ValidationError[], parent = ''): string[] {
  return errors.flatMap((error) => {
    const path = parent === '' ? error.property : `${parent}.${error.property}`;
    return [
      ...Object.values(error.constraints ?? {}).map((message) => `${path}: ${message}`),
      ...describe(error.children ?? [], path),
    ];
  });
}

/** The payload's declared fields (its class-validator properties). */
export function payloadFields(contract: EventContract): string[] {
  const metadata = getMetadataStorage().getTargetValidationMetadatas(contract.payload, '', true, false);
  return [...new Set(metadata.map((m) => m.propertyName))];
}
