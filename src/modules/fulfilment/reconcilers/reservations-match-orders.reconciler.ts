import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../../../config/index.js';
import { type Finding, Reconciler, type ReconciliationWindow } from '../../../reconciliation/index.js';

interface Mismatch {
  location_id: string;
  sku: string;
  reserved: number;
  held_by_orders: number;
  orders: string[] | null;
}

/**
 * No phantom reservations: per stock bucket, `reserved` must equal the units that orders still
 * holding stock (`reserved`, `paid` with a reservation, `ready`) have allocated there. Every hold,
 * release and shipment changes both in one transaction, so a difference means a bug or a manual
 * edit. It is opened as an exception for an admin, never healed: which side is wrong needs a human.
 * The check reads every bucket in one snapshot, so the window only names the run's slot.
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
    const mismatches: Mismatch[] = await tx.query(
      `WITH held AS (
         SELECT a->>'locationId' AS location_id, a->>'sku' AS sku, sum((a->>'quantity')::int)::int AS units,
                array_agg(DISTINCT o.id::text ORDER BY o.id::text) AS orders
         FROM fulfilment_order o, jsonb_array_elements(o.allocations) a
         WHERE o.reserved_at IS NOT NULL AND o.status IN ('reserved', 'paid', 'ready')
         GROUP BY 1, 2)
       SELECT coalesce(s.location_id, h.location_id) AS location_id, coalesce(s.sku, h.sku) AS sku,
              coalesce(s.reserved, 0) AS reserved, coalesce(h.units, 0) AS held_by_orders, h.orders
       FROM fulfilment_stock s FULL JOIN held h ON h.location_id = s.location_id AND h.sku = s.sku
       WHERE coalesce(s.reserved, 0) <> coalesce(h.units, 0)
       ORDER BY 1, 2`,
    );
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
