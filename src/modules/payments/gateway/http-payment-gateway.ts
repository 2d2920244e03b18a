import { Inject, Injectable, Logger } from '@nestjs/common';
import type { PaymentGatewayConfig } from '../../../config/index.js';
import { refundIdempotencyKey } from '../domain/payment-rules.js';
import {
  type ChargeRequest,
  type ChargeResult,
  GatewayAuthenticationError,
  GatewayRequestRejectedError,
  GatewayTimeoutError,
  GatewayUnavailableError,
  type PaymentGateway,
  type RefundRequest,
  type RefundResult,
} from './payment-gateway.js';

/** Where and how the {@link HttpPaymentGateway} reaches its provider. */
export interface HttpGatewaySettings {
  /** Base URL without a trailing slash, e.g. `https://psp.example`. */
  url: string;
  apiKey: string;
  /** Each call is abandoned after this long (connect, answer and body together). */
  timeoutMs: number;
}

/** Injection token of the {@link HttpGatewaySettings}. */
export const HTTP_GATEWAY_SETTINGS = Symbol('HTTP_GATEWAY_SETTINGS');

/** The settings of `PAYMENT_GATEWAY=http`; `loadConfig` has checked that URL and key are set. */
export function httpGatewaySettings(config: PaymentGatewayConfig): HttpGatewaySettings {
  if (config.url === undefined || config.apiKey === undefined) {
    throw new Error('PAYMENT_GATEWAY=http needs GATEWAY_URL and GATEWAY_API_KEY');
  }
  return { url: config.url, apiKey: config.apiKey, timeoutMs: config.timeoutMs };
}

/** A provider's answer, its body parsed when it is JSON. */
interface ProviderAnswer {
  status: number;
  body: Record<string, unknown> | undefined;
  text: string;
}

/** Longest slice of a provider's error body kept in an error message (it ends up in dead letters). */
const MESSAGE_LIMIT = 500;

/**
 * The {@link PaymentGateway} over HTTP: the provider protocol of API.md ("Payment gateway
 * protocol"), with Node's global `fetch` and `AbortSignal.timeout(GATEWAY_TIMEOUT_MS)` per call.
 *
 * The payment id itself is the charge's `Idempotency-Key` and the lookup key; the refund's key is
 * `refund-<payment id>`. A charge is looked up before it is taken, so a retry after a timeout finds
 * the charge instead of asking for it again. Answers map to the port's results and errors so the caller decides what
 * to retry (docs/adr/0018-payment-gateway-over-http.md):
 * - `201`/`200` with status `succeeded` → succeeded; `failed`, or `402 { failureCode }` → declined
 *   (final); `pending` → pending (the webhook or the reconciler's lookup decides it);
 * - `5xx`, `429`, a refused connection or any other network error → {@link GatewayUnavailableError}
 *   (retried by the delivery's backoff; the retry looks the charge up before charging again);
 * - no answer within the timeout → {@link GatewayTimeoutError}: the charge may have been taken,
 *   so callers resolve it by the lookup, never by assuming either way;
 * - `401`/`403` → {@link GatewayAuthenticationError} (not retryable), logged at error: the key is wrong;
 * - any other `4xx` (`400`, `409`, `422`, …) → {@link GatewayRequestRejectedError} (not retryable)
 *   carrying the provider's message, so the dead letter's `lastError` says what the provider refused.
 */
@Injectable()
export class HttpPaymentGateway implements PaymentGateway {
  private readonly logger = new Logger(HttpPaymentGateway.name);

  constructor(@Inject(HTTP_GATEWAY_SETTINGS) private readonly settings: HttpGatewaySettings) {}

  /**
   * Looks the charge up first, and charges only when the provider holds none: an earlier attempt
   * may have reached the provider and lost its answer (a timeout after the provider charged, a
   * crash, a redelivery), and the caller's transaction that could have recorded it rolled back, so
   * no attempt can know it is the first. The charge itself still carries the key.
   */
  async charge(request: ChargeRequest): Promise<ChargeResult> {
    const known = await this.chargeStatus(request.paymentId);
    if (known) return known;
    const answer = await this.call('POST', '/v1/charges', {
      idempotencyKey: request.paymentId,
      body: {
        amount: request.amount,
        currency: request.currency,
        reference: request.reference,
        metadata: { paymentId: request.paymentId, purpose: request.purpose },
      },
    });
    if (answer.status === 402) {
      const failureCode = stringField(answer.body, 'failureCode') ?? 'declined';
      return { status: 'declined', reason: failureCode, gatewayRef: stringField(answer.body, 'id') };
    }
    if (answer.status === 200 || answer.status === 201) return toChargeResult(answer, 'POST /v1/charges');
    throw this.refused('POST /v1/charges', answer);
  }

  async chargeStatus(paymentId: string): Promise<ChargeResult | undefined> {
    const path = `/v1/charges?idempotency_key=${encodeURIComponent(paymentId)}`;
    const answer = await this.call('GET', path, {});
    if (answer.status === 404) return undefined;
    if (answer.status === 200) return toChargeResult(answer, 'GET /v1/charges');
    throw this.refused('GET /v1/charges', answer);
  }

  async refund(request: RefundRequest): Promise<RefundResult> {
    const answer = await this.call('POST', '/v1/refunds', {
      idempotencyKey: refundIdempotencyKey(request.paymentId),
      body: { charge: request.gatewayRef, amount: request.amount },
    });
    if (answer.status !== 200 && answer.status !== 201) throw this.refused('POST /v1/refunds', answer);
    const id = stringField(answer.body, 'id');
    const status = stringField(answer.body, 'status');
    if (id === undefined || (status !== 'succeeded' && status !== 'pending' && status !== 'failed')) {
      throw new GatewayUnavailableError(`POST /v1/refunds answered ${answer.status} with an unreadable body`);
    }
    if (status === 'failed') {
      throw new GatewayRequestRejectedError(
        `the provider failed refund ${id} of charge ${request.gatewayRef}: ${providerMessage(answer)}`,
      );
    }
    return { refundRef: id };
  }

  /**
   * One call to the provider. Returns its answer when it is final for the caller (2xx, 402, 404
   * and the client errors the caller turns into a refusal); throws the retryable errors itself.
   */
  private async call(
    method: 'GET' | 'POST',
    path: string,
    { idempotencyKey, body }: { idempotencyKey?: string; body?: unknown },
  ): Promise<ProviderAnswer> {
    const what = `${method} ${path.split('?')[0]}`;
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.settings.apiKey}`,
      accept: 'application/json',
    };
    if (idempotencyKey !== undefined) headers['idempotency-key'] = idempotencyKey;
    if (body !== undefined) headers['content-type'] = 'application/json';

    let status: number;
    let text: string;
    try {
      // One signal bounds the whole exchange: a provider that sends headers and then stalls the
      // body times out like one that never answers.
      const response = await fetch(`${this.settings.url}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.settings.timeoutMs),
      });
      status = response.status;
      text = await response.text();
    } catch (error) {
      if (isTimeout(error)) {
        throw new GatewayTimeoutError(`${what} got no answer within ${this.settings.timeoutMs} ms`);
      }
      throw new GatewayUnavailableError(`${what} could not reach the provider: ${describeNetworkError(error)}`);
    }

    const answer: ProviderAnswer = { status, text, body: parseJsonObject(text) };
    if (status >= 500 || status === 429) {
      throw new GatewayUnavailableError(`${what} answered ${status}: ${providerMessage(answer)}`);
    }
    if (status === 401 || status === 403) {
      this.logger.error(
        `the payment provider refused GATEWAY_API_KEY (${what} answered ${status}): the key is wrong or revoked; ` +
          'payments stay pending and their charges go to dead letters until it is fixed',
      );
      throw new GatewayAuthenticationError(
        `${what} answered ${status}: the provider refused the API key: ${providerMessage(answer)}`,
      );
    }
    return answer;
  }

  /** An answer the caller did not expect: a client error is final, anything else transient. */
  private refused(what: string, answer: ProviderAnswer): Error {
    const message = `${what} answered ${answer.status}: ${providerMessage(answer)}`;
    if (answer.status >= 400 && answer.status < 500) return new GatewayRequestRejectedError(message);
    return new GatewayUnavailableError(message);
  }
}

function toChargeResult(answer: ProviderAnswer, what: string): ChargeResult {
  const id = stringField(answer.body, 'id');
  const status = stringField(answer.body, 'status');
  if (id !== undefined) {
    if (status === 'succeeded') return { status: 'succeeded', gatewayRef: id };
    if (status === 'pending') return { status: 'pending', gatewayRef: id };
    if (status === 'failed') {
      return { status: 'declined', reason: stringField(answer.body, 'failureCode') ?? 'declined', gatewayRef: id };
    }
  }
  // Unreadable, not refused: the retry looks the charge up again.
  throw new GatewayUnavailableError(`${what} answered ${answer.status} with an unreadable charge`);
}

function stringField(body: Record<string, unknown> | undefined, name: string): string | undefined {
  const value = body?.[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** What the provider said about an error: its `message` (or `error`), else the start of the body. */
function providerMessage(answer: ProviderAnswer): string {
  const message = stringField(answer.body, 'message') ?? stringField(answer.body, 'error') ?? answer.text.trim();
  if (message === '') return '(empty body)';
  return message.length > MESSAGE_LIMIT ? `${message.slice(0, MESSAGE_LIMIT)}…` : message;
}

function isTimeout(error: unknown): boolean {
  return error instanceof Error && error.name === 'TimeoutError';
}

/** fetch wraps the socket error (ECONNREFUSED, ECONNRESET, …) in `cause`. */
function describeNetworkError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause;
  if (cause instanceof Error) {
    const code = (cause as NodeJS.ErrnoException).code;
    return code ? `${code} (${cause.message})` : cause.message;
  }
  return error.message;
}
