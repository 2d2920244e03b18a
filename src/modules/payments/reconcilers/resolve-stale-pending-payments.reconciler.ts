import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../../config/index.js';
import { type Finding, Reconciler, type ReconciliationWindow } from '../../../reconciliation/index.js';
import { PaymentsApi } from '../payments.api.js';

/** Payments resolved per run at most; the rest wait for the next run (oldest first). */
const BATCH = 500;

/**
 * A payment still `pending` longer than `PAYMENT_PENDING_TIMEOUT_MS` lost its gateway answer (a
 * crash after the charge, a timeout, a webhook that never came): it is resolved from the
 * gateway's own record of the charge (SPEC.md, flow 7) by {@link PaymentsApi.resolvePending},
 * which confirms or fails it with the same compare-and-set as the worker and the webhook, in its
 * own transaction (the gateway is called outside any row lock). The check reads the current
 * state, so the window only names the run's slot. A payment the gateway cannot decide yet (a
 * charge in flight, the gateway unreachable) stays an open finding and is tried again next run.
 */
@Reconciler()
@Injectable()
export class ResolveStalePendingPaymentsReconciler implements Reconciler {
  readonly name = 'payments-resolve-stale-pending';
  readonly rulesVersion = 1;
  readonly everyMs: number;
  private readonly timeoutMs: number;
  private readonly noChargeTimeoutMs: number;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly payments: PaymentsApi,
  ) {
    this.everyMs = config.reconciliation.intervalMs;
    this.timeoutMs = config.reconciliation.paymentPendingTimeoutMs;
    this.noChargeTimeoutMs = config.reconciliation.paymentNoChargeTimeoutMs;
  }

  async check(_window: ReconciliationWindow): Promise<Finding[]> {
    const stale = await this.payments.stalePendingPayments(this.timeoutMs, BATCH);
    return stale.map((paymentId) => ({
      subject: `payment:${paymentId}`,
      description: `payment pending for longer than ${this.timeoutMs} ms`,
      details: { paymentId, pendingTimeoutMs: this.timeoutMs },
      heal: async () => {
        const outcome = await this.payments.resolvePending(paymentId, this.noChargeTimeoutMs);
        // confirmed / failed: decided now; not-pending: decided meanwhile by the worker or the webhook.
        if (outcome === 'in-progress')
          throw new Error(`a charge of payment ${paymentId} is in flight; retried next run`);
        if (outcome === 'gateway-pending')
          throw new Error(`the gateway has not decided the charge of payment ${paymentId} yet; retried next run`);
        if (outcome === 'awaiting-charge')
          throw new Error(`payment ${paymentId} has no charge at the gateway yet; retried next run`);
        if (outcome === 'not-found') throw new Error(`payment ${paymentId} no longer exists`);
      },
    }));
  }
}
