import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AppConfig } from '../../../config/index.js';
import { chargeIdempotencyKey, refundIdempotencyKey } from '../domain/payment-rules.js';
import { GatewaySimRandom, type RandomSource } from './gateway-sim-random.js';
import {
  type ChargeRequest,
  type ChargeResult,
  GatewayRequestRejectedError,
  GatewayTimeoutError,
  GatewayUnavailableError,
  type PaymentGateway,
  type RefundRequest,
  type RefundResult,
} from './payment-gateway.js';
import { type SimCharge, SIM_CHARGE_STORE, type SimChargeStore, type SimRefund } from './sim-charge.store.js';

/**
 * Fault injection of the simulated gateway (`GATEWAY_SIM_*`). One mutable object per process, read
 * at every call, so that `PATCH /admin/gateway-simulator` (development and test only) takes effect
 * on the next charge.
 */
export type GatewaySimSettings = AppConfig['gatewaySim'];

/** Injection token of the {@link GatewaySimSettings}. */
export const GATEWAY_SIM_SETTINGS = Symbol('GATEWAY_SIM_SETTINGS');

/** The reason the simulator gives for a declined charge. */
export const SIMULATED_DECLINE_REASON = 'card declined (simulated)';

/**
 * The built-in {@link PaymentGateway}: keeps its charges in `payments_gateway_sim_charge` (its
 * own table and connection pool, as an external system would) and honours the idempotency key it
 * derives from the payment id (`pay-<id>`, `refund-<id>`): a charge repeated for the same payment
 * returns the recorded result and never charges twice. It answers synchronously: never `pending`.
 *
 * Faults, from `GATEWAY_SIM_*`, in the order a call meets them:
 * 1. latency: every call waits `latencyMs`;
 * 2. errors (`errorRate`): `charge` fails with {@link GatewayUnavailableError} BEFORE charging;
 *    rejections (`rejectRate`): `charge` fails with {@link GatewayRequestRejectedError} (the
 *    provider's 422: not retryable) BEFORE charging;
 * 3. declines (`declineRate`): a new charge is recorded as declined;
 * 4. timeouts after charge (`timeoutAfterChargeRate`): a new charge is recorded, THEN the call
 *    throws {@link GatewayTimeoutError}: the money is taken but the caller does not know. A retry
 *    with the same key finds the recorded charge (replays are never faulted after step 2).
 * `chargeStatus` only waits the latency: the reconciliation path stays usable during a charge outage.
 * `refund` meets the latency and the errors (nothing refunded), then gives back a succeeded charge
 * once per key (`payments_gateway_sim_refund`), and refuses an unknown charge or a second refund
 * of one charge under another key.
 */
@Injectable()
export class SimulatedGateway implements PaymentGateway {
  constructor(
    @Inject(GATEWAY_SIM_SETTINGS) private readonly settings: GatewaySimSettings,
    @Inject(GatewaySimRandom) private readonly random: RandomSource,
    @Inject(SIM_CHARGE_STORE) private readonly store: SimChargeStore,
  ) {}

  async charge(request: ChargeRequest): Promise<ChargeResult> {
    await this.latency();
    if (this.roll(this.settings.errorRate)) {
      throw new GatewayUnavailableError('simulated gateway answered 503 before charging');
    }
    if (this.roll(this.settings.rejectRate)) {
      throw new GatewayRequestRejectedError('simulated gateway refused the charge request (422): nothing charged');
    }
    const idempotencyKey = chargeIdempotencyKey(request.paymentId);
    const existing = await this.store.find(idempotencyKey);
    if (existing) return replay(existing, request);

    const declined = this.roll(this.settings.declineRate);
    const { charge, created } = await this.store.insert({
      idempotencyKey,
      paymentId: request.paymentId,
      amount: request.amount,
      currency: request.currency,
      status: declined ? 'declined' : 'succeeded',
      gatewayRef: `sim_${randomUUID()}`,
      declineReason: declined ? SIMULATED_DECLINE_REASON : null,
    });
    if (!created) return replay(charge, request);
    if (this.roll(this.settings.timeoutAfterChargeRate)) {
      throw new GatewayTimeoutError(`simulated gateway timed out after recording charge ${charge.gatewayRef}`);
    }
    return toResult(charge);
  }

  async chargeStatus(paymentId: string): Promise<ChargeResult | undefined> {
    await this.latency();
    const charge = await this.store.find(chargeIdempotencyKey(paymentId));
    return charge && toResult(charge);
  }

  async refund(request: RefundRequest): Promise<RefundResult> {
    await this.latency();
    if (this.roll(this.settings.errorRate)) {
      throw new GatewayUnavailableError('simulated gateway answered 503 before refunding');
    }
    const idempotencyKey = refundIdempotencyKey(request.paymentId);
    const existing = await this.store.findRefund(idempotencyKey);
    if (existing) return replayRefund(existing, request);

    const charge = await this.store.findByGatewayRef(request.gatewayRef);
    if (
      !charge ||
      charge.status !== 'succeeded' ||
      charge.paymentId !== request.paymentId ||
      charge.amount !== request.amount ||
      charge.currency !== request.currency
    ) {
      throw new GatewayRequestRejectedError(
        `no succeeded charge ${request.gatewayRef} of ${request.amount} ${request.currency} for payment ${request.paymentId}`,
      );
    }
    const stored = await this.store.insertRefund({
      idempotencyKey,
      paymentId: request.paymentId,
      gatewayRef: request.gatewayRef,
      amount: request.amount,
      currency: request.currency,
      refundRef: `simr_${randomUUID()}`,
    });
    if (!stored) throw new GatewayRequestRejectedError(`charge ${request.gatewayRef} was refunded under another key`);
    return replayRefund(stored, request);
  }

  private async latency(): Promise<void> {
    if (this.settings.latencyMs > 0) await sleep(this.settings.latencyMs);
  }

  /** True with probability `rate`; draws nothing when the fault is off. */
  private roll(rate: number): boolean {
    return rate > 0 && this.random.next() < rate;
  }
}

/** A repeated request: the recorded result, provided the request is the same one. */
function replay(charge: SimCharge, request: ChargeRequest): ChargeResult {
  if (charge.amount !== request.amount || charge.currency !== request.currency) {
    throw new GatewayRequestRejectedError(
      `idempotency key ${charge.idempotencyKey} was used for another charge (amount or currency differ)`,
    );
  }
  return toResult(charge);
}

/** A refund request meeting a recorded refund: its result, provided it is the same refund. */
function replayRefund(refund: SimRefund, request: RefundRequest): RefundResult {
  if (
    refund.paymentId !== request.paymentId ||
    refund.gatewayRef !== request.gatewayRef ||
    refund.amount !== request.amount ||
    refund.currency !== request.currency
  ) {
    throw new GatewayRequestRejectedError(`idempotency key ${refund.idempotencyKey} was used for another refund`);
  }
  return { refundRef: refund.refundRef };
}

function toResult(charge: SimCharge): ChargeResult {
  return charge.status === 'succeeded'
    ? { status: 'succeeded', gatewayRef: charge.gatewayRef }
    : { status: 'declined', reason: charge.declineReason ?? 'declined', gatewayRef: charge.gatewayRef };
}
