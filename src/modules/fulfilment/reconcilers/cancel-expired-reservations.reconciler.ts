import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../../../config/index.js';
import { type Finding, Reconciler, type ReconciliationWindow } from '../../../reconciliation/index.js';
import { PaymentsApi } from '../../payments/index.js';
import { OrderLifecycle } from '../application/order-lifecycle.js';
import { reservedBefore } from '../persistence/orders.js';

/** Orders cancelled per run at most; the rest wait for the next run (oldest first). */
const BATCH = 500;

/**
 * The reservation TTL (SPEC.md "Orders", step 5): an order that has held stock for longer than
 * `ORDER_RESERVATION_TTL_MS` without a confirmed payment is cancelled and its units released, each
 * in the heal's own transaction under the order's row lock with a compare-and-set on `reserved`, so a run
 * racing a payment, another run or another process releases the stock once or not at all. A payment
 * confirmed after the cancellation is refunded by payments (the order is then `closed`). An order
 * with a payment still pending is left for that payment to decide.
 */
@Reconciler()
@Injectable()
export class CancelExpiredReservationsReconciler implements Reconciler {
  readonly name = 'fulfilment-cancel-expired-reservations';
  readonly rulesVersion = 1;
  readonly everyMs: number;
  private readonly ttlMs: number;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly orders: OrderLifecycle,
    private readonly payments: PaymentsApi,
  ) {
    this.everyMs = config.reconciliation.intervalMs;
    this.ttlMs = config.fulfilment.reservationTtlMs;
  }

  async check(_window: ReconciliationWindow, tx: EntityManager): Promise<Finding[]> {
    const heldBefore = new Date(Date.now() - this.ttlMs);
    const expired = await reservedBefore(tx, heldBefore, BATCH);
    // A customer paying right now is not cut off: that payment's outcome decides (confirmed → ready,
    // failed → cancelled), and a payment stuck pending is resolved by the payments reconciler.
    const paying = await this.payments.referencesWithPendingPayment(
      'order',
      expired.map(({ id }) => id),
    );
    return expired
      .filter(({ id }) => !paying.has(id))
      .map(({ id, reserved_at }) => ({
        subject: `order:${id}`,
        description: `order reserved at ${reserved_at.toISOString()} is unpaid after ${this.ttlMs} ms`,
        details: { orderId: id, reservedAt: reserved_at.toISOString(), reservationTtlMs: this.ttlMs },
        // Paid or cancelled meanwhile: cancel() changes nothing, and that is fine.
        heal: async (healTx) => {
          await this.orders.cancel(healTx, id, 'reservation-expired', { heldBefore });
        },
      }));
  }
}
