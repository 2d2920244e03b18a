/** A charge to take, named by an idempotency key the gateway honours. */
export interface ChargeRequest {
  /** Same key, same charge: a repeated call returns the first result and never charges again. */
  idempotencyKey: string;
  paymentId: string;
  /** Integer minor units. */
  amount: number;
  currency: string;
}

/** What the gateway answered, or knows, about a charge. */
export type ChargeResult =
  { status: 'succeeded'; gatewayRef: string } | { status: 'declined'; reason: string; gatewayRef?: string };

/** A full refund of a succeeded charge, named by an idempotency key the gateway honours. */
export interface RefundRequest {
  /** Same key, same refund: a repeated call returns the first result and never refunds again. */
  idempotencyKey: string;
  paymentId: string;
  /** The gateway's reference of the charge to give back. */
  gatewayRef: string;
  /** Integer minor units: the whole charge. */
  amount: number;
  currency: string;
}

/** What the gateway answered about a refund it made. */
export interface RefundResult {
  refundRef: string;
}

/**
 * The payment gateway port (SPEC.md, flow 4). Adapters: {@link SimulatedGateway}; a real PSP
 * adapter implements the same calls. Calls are external side effects: never make them while
 * holding row locks, and bound them with a timeout well under the database's
 * `idle_in_transaction_session_timeout` (the charging handler runs inside its inbox transaction).
 */
export interface PaymentGateway {
  /**
   * Charges once per `idempotencyKey`.
   * @throws GatewayUnavailableError (5xx, nothing charged) or GatewayTimeoutError (unknown: the
   *   charge may have been taken) - both retryable with the same key.
   * @throws GatewayRequestRejectedError when the gateway refuses the request itself (e.g. the key
   *   was used for another amount) - retrying cannot help.
   */
  charge(request: ChargeRequest): Promise<ChargeResult>;

  /** The charge recorded under `idempotencyKey`, or `undefined` when the gateway never took one. */
  chargeStatus(idempotencyKey: string): Promise<ChargeResult | undefined>;

  /**
   * Gives a succeeded charge back in full, once per `idempotencyKey`.
   * @throws GatewayUnavailableError or GatewayTimeoutError - retryable with the same key.
   * @throws GatewayRequestRejectedError when there is no such succeeded charge (or its payment,
   *   amount or currency differ), or the charge was refunded under another key - retrying cannot help.
   */
  refund(request: RefundRequest): Promise<RefundResult>;
}

/** Injection token of the {@link PaymentGateway} adapter. */
export const PAYMENT_GATEWAY = Symbol('PAYMENT_GATEWAY');

/** The gateway answered 5xx or could not be reached; nothing was charged. Retryable. */
export class GatewayUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GatewayUnavailableError';
  }
}

/** The call timed out: the charge may or may not have been taken. Retry with the same key to find out. */
export class GatewayTimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GatewayTimeoutError';
  }
}

/** The gateway refused the request as malformed or conflicting; a retry gets the same answer. */
export class GatewayRequestRejectedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GatewayRequestRejectedError';
  }
}
