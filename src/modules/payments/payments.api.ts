import { isUUID } from 'class-validator';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { GatewayResultApplier } from './application/apply-gateway-result.js';
import { lockPaymentCharge } from './application/charge-lock.js';
import { type PaymentView, toPaymentView } from './application/payment.view.js';
import { awaitsCharge } from './domain/payment.js';
import type { PaymentPurpose } from './events/index.js';
import { PAYMENT_GATEWAY, type PaymentGateway } from './gateway/payment-gateway.js';
import { PaymentRepository } from './persistence/payment.repository.js';

/** The failure reason of a payment the reconciler found the gateway never charged. */
export const NO_CHARGE_AT_GATEWAY = 'no charge at gateway';

/**
 * What {@link PaymentsApi.resolvePending} did:
 * - `confirmed` / `failed`: the payment was pending and is now decided from the gateway's record
 *   (`confirmed` includes a payment refunded at once because its reference had closed meanwhile);
 * - `not-pending`: it was already decided (by the worker or the webhook); nothing changed;
 * - `in-progress`: a charge for it is being taken right now; nothing changed, try again later;
 * - `gateway-pending`: the gateway holds a charge it has not decided yet; nothing changed, try again later;
 * - `awaiting-charge`: the gateway holds no charge, but the payment is younger than the caller's
 *   `noChargeGraceMs`: its charge may still be on its way (a backlog after an outage); try again later;
 * - `not-found`: there is no such payment.
 */
export type ResolvePendingOutcome =
  'confirmed' | 'failed' | 'not-pending' | 'in-progress' | 'gateway-pending' | 'awaiting-charge' | 'not-found';

/**
 * The payments module's facade for other modules and the reconcilers: in-process, strongly
 * consistent reads of the same database, and the healing of stale pending payments.
 */
@Injectable()
export class PaymentsApi {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(PAYMENT_GATEWAY) private readonly gateway: PaymentGateway,
    private readonly results: GatewayResultApplier,
    private readonly payments: PaymentRepository,
  ) {}

  /** The payment `id`, or `undefined`. */
  async payment(id: string): Promise<PaymentView | undefined> {
    if (!isUUID(id)) return undefined;
    const payment = await this.payments.find(this.dataSource.manager, id);
    return payment ? toPaymentView(payment) : undefined;
  }

  /**
   * The references of `purpose` among `referenceIds` that have a payment still `pending` (its
   * charge not decided yet): the order reservation TTL waits for those instead of cancelling an
   * order whose customer is paying right now.
   */
  async referencesWithPendingPayment(purpose: PaymentPurpose, referenceIds: readonly string[]): Promise<Set<string>> {
    if (referenceIds.length === 0) return new Set();
    return this.payments.referencesWith(this.dataSource.manager, purpose, referenceIds, 'pending');
  }

  /**
   * Ids of payments still `pending` more than `olderThanMs` after they were requested, oldest
   * first, at most `limit`: the candidates for {@link resolvePending}.
   */
  async stalePendingPayments(olderThanMs: number, limit = 100): Promise<string[]> {
    return this.payments.idsOlderThan(this.dataSource.manager, 'pending', olderThanMs, limit);
  }

  /**
   * Resolves a payment still `pending` from the gateway's own record of its charge (SPEC.md,
   * flow 7), for the reconciler to call on payments pending longer than their timeout:
   * a succeeded charge confirms it (ledger posting, `payments.payment-confirmed`), a declined one
   * fails it (`payments.payment-failed`), and no charge at all fails it with reason
   * {@link NO_CHARGE_AT_GATEWAY}; a charge the gateway still holds as pending changes nothing
   * (`gateway-pending`). Failing is safe because the charging worker re-checks the status
   * under the same per-payment lock before it charges, and never charges a payment that is no
   * longer pending; a charging attempt in flight makes this answer `in-progress` instead. Every
   * change goes through the same compare-and-set as the worker and the webhook, so racing them is
   * harmless, and calling this again is a no-op (`not-pending`).
   *
   * Call it only after the timeout a real gateway needs to settle a charge it timed out on. A
   * payment with no charge at all is failed only once it is older than `noChargeGraceMs`: until
   * then its charge may simply not have been attempted yet (`awaiting-charge`).
   * @throws GatewayUnavailableError / GatewayTimeoutError when the gateway cannot answer; retry later.
   */
  async resolvePending(paymentId: string, noChargeGraceMs = 0): Promise<ResolvePendingOutcome> {
    if (!isUUID(paymentId)) return 'not-found';
    return this.dataSource.transaction(async (tx): Promise<ResolvePendingOutcome> => {
      if (!(await lockPaymentCharge(tx, paymentId, 'try'))) return 'in-progress';
      const payment = await this.payments.find(tx, paymentId);
      if (!payment) return 'not-found';
      if (!awaitsCharge(payment.status)) return 'not-pending';

      const charge = await this.gateway.chargeStatus(paymentId);
      if (charge?.status === 'pending') {
        await this.results.apply(tx, paymentId, charge);
        return 'gateway-pending';
      }
      if (!charge && payment.createdAt.getTime() > Date.now() - noChargeGraceMs) return 'awaiting-charge';
      const outcome = await this.results.apply(
        tx,
        paymentId,
        charge ?? { status: 'declined', reason: NO_CHARGE_AT_GATEWAY },
      );
      if (!outcome.applied) return 'not-pending';
      // `refunding`: confirmed, then given back at once because its reference had closed meanwhile.
      return outcome.status === 'failed' ? 'failed' : 'confirmed';
    });
  }
}
