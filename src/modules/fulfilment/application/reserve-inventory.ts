import { Inject, Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../../../config/index.js';
import { OutboxWriter } from '../../../outbox/index.js';
import { RESERVABLE_STATUSES, statusAfterReservation } from '../domain/order/order.js';
import {
  type MilpSolver,
  optimiseRouting,
  type RoutingPlan,
  type RoutingProblem,
  type StockLocation,
} from '../domain/routing/index.js';
import { InventoryReservedV1, OrderRejectedV1 } from '../events/index.js';
import type { OrderEntity } from '../persistence/order.entity.js';
import { lockOrder, recordRejection, recordReservation } from '../persistence/orders.js';
import { OrderLifecycle } from './order-lifecycle.js';
import { reservationMetrics } from './reservation.metrics.js';
import { availableStockOf, holdStock } from '../persistence/stock-buckets.js';

/** The MILP solver for orders too large to enumerate (one per process: a pool of HiGHS worker threads). */
export const MILP_SOLVER = Symbol('MILP_SOLVER');

/** Plans re-made against fresh stock when a concurrent reservation took the planned units first. */
const MAX_PLANS = 5;

/** Another order kept taking the planned units; the delivery is retried with backoff. */
export class ReservationContendedError extends Error {}

/** What {@link ReserveInventory.reserve} did. */
export type ReservationOutcome = 'reserved' | 'rejected' | 'skipped';

/**
 * Reserves an order's stock (SPEC.md "Orders", step 3): plans the cheapest routing over the stock
 * available now (MILP with a time limit, greedy fallback), then holds the planned units with
 * conditional updates. Either every unit is held and `fulfilment.inventory-reserved` appended, or
 * nothing is held and the order is rejected (`fulfilment.order-rejected`). The planning reads
 * without locking buckets; a bucket another order emptied meanwhile makes the hold fail as a whole,
 * and the order is planned again against fresh stock.
 */
@Injectable()
export class ReserveInventory {
  private readonly logger = new Logger(ReserveInventory.name);
  private readonly timeLimitMs: number;

  constructor(
    private readonly outbox: OutboxWriter,
    private readonly orders: OrderLifecycle,
    @Inject(MILP_SOLVER) private readonly solver: MilpSolver,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.timeLimitMs = config.fulfilment.routingTimeLimitMs;
  }

  async reserve(tx: EntityManager, orderId: string): Promise<ReservationOutcome> {
    const order = await lockOrder(tx, orderId);
    if (!order) throw new Error(`order ${orderId} does not exist`);
    // Already held, rejected, or cancelled before its turn came: nothing to do.
    if (!RESERVABLE_STATUSES.includes(order.status) || order.reservedAt !== null) return 'skipped';

    for (let attempt = 1; attempt <= MAX_PLANS; attempt += 1) {
      const problem: RoutingProblem = {
        lines: order.lines,
        shipTo: { lat: order.shipToLat, lon: order.shipToLon },
        locations: await this.availableStock(
          tx,
          order.lines.map((line) => line.sku),
        ),
      };
      const result = await optimiseRouting(problem, { solver: this.solver, timeLimitMs: this.timeLimitMs });
      if (result.kind === 'infeasible') {
        await this.reject(tx, order);
        return 'rejected';
      }
      reservationMetrics.planSeconds.observe({ solver: result.solver, method: result.method }, result.solverMs / 1000);
      if (await holdStock(tx, result.allocations)) {
        await this.record(tx, order, result);
        return 'reserved';
      }
      reservationMetrics.replans.inc();
    }
    throw new ReservationContendedError(
      `order ${orderId}: the planned units were taken by other orders ${MAX_PLANS} times in a row`,
    );
  }

  /** Every bucket of the order's SKUs with units available, grouped per location. */
  private async availableStock(tx: EntityManager, skus: string[]): Promise<StockLocation[]> {
    const rows = await availableStockOf(tx, skus);
    const locations = new Map<string, StockLocation & { available: Record<string, number> }>();
    for (const row of rows) {
      let location = locations.get(row.location_id);
      if (!location) {
        location = {
          id: row.location_id,
          lat: row.lat,
          lon: row.lon,
          handlingCostPerUnit: Number(row.handling_cost_per_unit),
          shippingCostPerKm: row.shipping_cost_per_km,
          fixedCostPerShipment: Number(row.fixed_cost_per_shipment),
          available: {},
        };
        locations.set(row.location_id, location);
      }
      location.available[row.sku] = row.available;
    }
    return [...locations.values()];
  }

  private async record(tx: EntityManager, order: OrderEntity, plan: RoutingPlan): Promise<void> {
    const allocations = plan.allocations.map(({ locationId, sku, quantity }) => ({ locationId, sku, quantity }));
    const status = statusAfterReservation(order.status)!;
    const reservedAt = new Date();
    await recordReservation(tx, order.id, {
      status,
      allocations,
      routingCost: String(plan.cost),
      routingSolver: plan.solver,
      routingSolverMs: plan.solverMs,
      reservedAt,
    });
    if (plan.fallbackReason) this.logger.warn(`order ${order.id} routed greedily: ${plan.fallbackReason}`);
    await this.outbox.append(tx, {
      contract: InventoryReservedV1,
      aggregateId: order.id,
      payload: { orderId: order.id, allocations },
    });
    // A payment that came first makes the order ready now, in this transaction: no hop back to this module.
    await this.orders.markReadyIfComplete(tx, { ...order, status, reservedAt });
  }

  private async reject(tx: EntityManager, order: OrderEntity): Promise<void> {
    await recordRejection(tx, order.id);
    await this.outbox.append(tx, {
      contract: OrderRejectedV1,
      aggregateId: order.id,
      payload: { orderId: order.id, reason: 'insufficient-stock' },
    });
  }
}
