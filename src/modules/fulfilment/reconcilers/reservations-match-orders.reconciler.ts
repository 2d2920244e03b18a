import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../../../config/index.js';
import { type Finding, Reconciler, type ReconciliationWindow } from '../../../reconciliation/index.js';
import { reservedVersusOrders } from '../persistence/stock-buckets.js';

/**
 * No phantom reservations: per stock bucket, `reserved` must equal the units that orders still
 * holding stock (`reserved`, `paid` with a reservation, `ready`) have allocated there. Every hold,
 * release and shipment changes both in one transaction, so a difference means a bug or a manual
 * edit. It is opened as an exception for an admin, never healed: which side is wrong needs a human.
 * The check reads every bucket in one snapshot ({@link reservedVersusOrders}, in the buckets'
 * home), so the window only names the run's slot.
 */
@Reconciler()
@Injectable()
export class ReservationsMatchOrdersReconciler implements Reconciler {
  readonly name = 'fulfilment-reservations-match-orders';
  readonly rulesVersion = 1;
  readonly everyMs: number;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.everyMs = config.reconciliation.intervalMs;
  }

  async check(_window: ReconciliationWindow, tx: EntityManager): Promise<Finding[]> {
    const mismatches = await reservedVersusOrders(tx);
    return mismatches.map((m) => ({
      subject: `stock:${m.location_id}/${m.sku}`,
      description: `bucket ${m.location_id}/${m.sku} has ${m.reserved} reserved, but orders hold ${m.held_by_orders}`,
      details: {
        locationId: m.location_id,
        sku: m.sku,
        reserved: m.reserved,
        heldByOrders: m.held_by_orders,
        difference: m.reserved - m.held_by_orders,
        orders: m.orders ?? [],
      },
    }));
  }
}
