import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { APP_CONFIG, type AppConfig } from '../../../config/index.js';
import { OutboxWriter } from '../../../outbox/index.js';
import { isOwner, type Principal, ProblemException } from '../../../platform/index.js';
import { invalidLines, OPEN_UNPAID_STATUSES, type OrderLine, orderTotal, orderUnits } from '../domain/order/order.js';
import { OrderPlacedV1 } from '../events/index.js';
import { countOpenUnpaidOf, findOrder, insertOrder } from '../persistence/orders.js';
import { type OrderView, toOrderView } from './order.view.js';

export interface PlaceOrderCommand {
  customerId: string;
  lines: OrderLine[];
  shipTo: { lat: number; lon: number };
}

/**
 * Places an order (SPEC.md "Orders", step 2): prices it from the catalogue, inserts it `placed`
 * and appends `fulfilment.order-placed`, all in the caller's transaction (the one the
 * idempotency key's record commits with). Stock is reserved later, by the reservation consumer.
 */
@Injectable()
export class PlaceOrderHandler {
  private readonly maxOpenUnpaid: number;
  private readonly maxUnits: number;

  constructor(
    private readonly outbox: OutboxWriter,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.maxOpenUnpaid = config.fulfilment.maxOpenUnpaidOrders;
    this.maxUnits = config.fulfilment.maxUnitsPerOrder;
  }

  /**
   * @throws NotFoundException 404 when a customer orders for another customer: the same answer as
   *   for a stranger's object elsewhere, so another customer's existence does not leak.
   * @throws ProblemException 400 `invalid-order-lines` (a SKU on two lines), `unknown-sku`,
   *   `mixed-currencies` or `total-too-large`; 422 `too-many-units` for more units than
   *   `ORDER_MAX_UNITS`; 409 `too-many-open-orders` when the customer already holds
   *   `ORDER_MAX_OPEN_UNPAID` open unpaid orders. A refusal writes nothing (the caller's
   *   transaction rolls back), so nothing is reserved either.
   */
  async execute(tx: EntityManager, principal: Principal, command: PlaceOrderCommand): Promise<OrderView> {
    if (!principal.roles.includes('admin') && !isOwner(principal, 'customer', command.customerId)) {
      throw new NotFoundException(`customer ${command.customerId} not found`);
    }
    const invalid = invalidLines(command.lines);
    if (invalid) throw new ProblemException(400, 'invalid-order-lines', 'Invalid order lines', `${invalid}.`);
    const units = orderUnits(command.lines);
    if (units > this.maxUnits) {
      throw new ProblemException(
        422,
        'too-many-units',
        'Too many units',
        `An order may ask for at most ${this.maxUnits} units in all; this one asks for ${units}.`,
        { maxUnits: this.maxUnits },
      );
    }
    await this.refuseBeyondOpenUnpaidCap(tx, command.customerId);

    const skus = command.lines.map((line) => line.sku);
    const rows: Array<{ sku: string; unit_price: string; currency: string }> = await tx.query(
      `SELECT sku, unit_price, currency FROM fulfilment_sku WHERE sku = ANY($1::text[])`,
      [skus],
    );
    const prices = new Map(rows.map((row) => [row.sku, row]));
    const unknown = skus.filter((sku) => !prices.has(sku));
    if (unknown.length > 0) {
      throw new ProblemException(400, 'unknown-sku', 'Unknown SKU', `No such SKU: ${unknown.join(', ')}.`, {
        skus: unknown,
      });
    }
    const currencies = [...new Set(rows.map((row) => row.currency))];
    if (currencies.length > 1) {
      throw new ProblemException(
        400,
        'mixed-currencies',
        'Mixed currencies',
        `The SKUs are priced in different currencies (${currencies.join(', ')}); order them separately.`,
      );
    }
    let total: number;
    try {
      total = orderTotal(command.lines, (sku) => Number(prices.get(sku)!.unit_price));
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
      throw new ProblemException(400, 'total-too-large', 'Total too large', 'The order total is too large.');
    }

    const id = uuidv7();
    const currency = currencies[0]!;
    const lines = command.lines.map(({ sku, quantity }) => ({ sku, quantity }));
    await insertOrder(tx, {
      id,
      customerId: command.customerId,
      lines,
      total: String(total),
      currency,
      shipToLat: command.shipTo.lat,
      shipToLon: command.shipTo.lon,
      status: 'placed',
      paymentStatus: 'none',
      allocations: [],
    });
    await this.outbox.append(tx, {
      contract: OrderPlacedV1,
      aggregateId: id,
      payload: { orderId: id, customerId: command.customerId, lines, total, currency },
    });
    return toOrderView(await findOrder(tx, id));
  }

  /**
   * Counts the customer's open unpaid orders under a per-customer advisory lock held to the end of
   * the caller's transaction: two concurrent orders of one customer take turns, and the second
   * counts the first once it has committed (READ COMMITTED reads afresh per statement), so the cap
   * cannot be overrun by racing requests. Orders of different customers never wait for each other.
   */
  private async refuseBeyondOpenUnpaidCap(tx: EntityManager, customerId: string): Promise<void> {
    await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [
      `fulfilment-customer-orders:${customerId}`,
    ]);
    const open = await countOpenUnpaidOf(tx, customerId, OPEN_UNPAID_STATUSES);
    if (open >= this.maxOpenUnpaid) {
      throw new ProblemException(
        409,
        'too-many-open-orders',
        'Too many open unpaid orders',
        `The customer already holds ${open} orders awaiting payment (at most ${this.maxOpenUnpaid}); ` +
          'pay or let one lapse before placing another.',
        { maxOpenUnpaidOrders: this.maxOpenUnpaid },
      );
    }
  }
}
