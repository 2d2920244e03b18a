import type { PaymentPurpose } from '../events/index.js';

/**
 * A charge to take for one payment. The adapter derives the idempotency key it sends from
 * `paymentId` alone (the HTTP provider gets the payment id itself, the simulator `pay-<id>`), so
 * every attempt - retry, redelivery, reconciliation - names the same charge.
 */
export interface ChargeRequest {
  paymentId: string;
  /** Integer minor units. */
  amount: number;
  currency: string;
  /** What the payer sees on the statement: the debt's `reference`, or the order id. */
  reference: string;
  purpose: PaymentPurpose;
}

/**
 * What the gateway answered, or knows, about a charge: `succeeded` and `declined` are final;
 * `pending` means the provider has not decided yet - the payment stays pending until the signed
 * webhook or the stale-pending reconciler's lookup decides it.
 */
export type ChargeResult =
  | { status: 'succeeded'; gatewayRef: string }
  | { status: 'declined'; reason: string; gatewayRef?: string }
  | { status: 'pending'; gatewayRef: string };

/** A full refund of a succeeded charge; the adapter derives its idempotency key from `paymentId`. */
export interface RefundRequest {
  paymentId: string;
  /** The gateway's reference of the charge to give back. */
  gatewayRef: string;
  /** Integer minor units: the whole charge. */
  amount: number;
  currency: string;
}

/** What the gateway answered about a refund it made (or accepted and will make). */
export interface RefundResult {
  refundRef: string;
}

/**
 * The payment gateway port (SPEC.md, flow 4). Adapters: {@link SimulatedGateway} (development and
 * unit tests) and {@link HttpPaymentGateway} (the provider protocol of API.md). Calls are external
 * side effects: never make them while holding row locks, and bound them with a timeout well under
 * the database's `idle_in_transaction_session_timeout` (the charging handler runs inside its inbox
 * transaction).
 */
export interface PaymentGateway {
  /**
   * Charges once per payment: a repeated call returns the first charge and never charges again.
   * @throws GatewayUnavailableError (5xx, 429, unreachable: nothing charged) or GatewayTimeoutError
   *   (unknown: the charge may have been taken; look it up) - both retryable.
   * @throws GatewayRequestRejectedError when the gateway refuses the request itself (a key used for
   *   another body, a wrong API key) - retrying cannot help.
   */
  charge(request: ChargeRequest): Promise<ChargeResult>;

  /** The charge taken for payment `paymentId`, or `undefined` when the gateway never took one. */
  chargeStatus(paymentId: string): Promise<ChargeResult | undefined>;

  /**
   * Gives a succeeded charge back in full, once per payment.
   * @throws GatewayUnavailableError or GatewayTimeoutError - retryable (the same refund key).
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

/** The gateway refused our credentials (401/403): the API key is wrong or revoked. Not retryable. */
export class GatewayAuthenticationError extends GatewayRequestRejectedError {
  constructor(message: string) {
    super(message);
    this.name = 'GatewayAuthenticationError';
  }
}
