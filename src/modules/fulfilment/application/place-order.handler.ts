import { Injectable, NotFoundException } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { OutboxWriter } from '../../../outbox/index.js';
import { type Principal, ProblemException } from '../../../platform/index.js';
import { invalidLines, type OrderLine, orderTotal } from '../domain/order/order.js';
import { OrderPlacedV1 } from '../events/index.js';
import { OrderEntity } from '../persistence/order.entity.js';
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
  constructor(private readonly outbox: OutboxWriter) {}

  /**
   * @throws NotFoundException 404 when a customer orders for another customer: the same answer as
   *   for a stranger's object elsewhere, so another customer's existence does not leak.
   * @throws ProblemException 400 `invalid-order-lines` (a SKU on two lines), `unknown-sku`,
   *   `mixed-currencies` or `total-too-large`.
   */
  async execute(tx: EntityManager, principal: Principal, command: PlaceOrderCommand): Promise<OrderView> {
    if (!principal.roles.includes('admin') && principal.sub !== command.customerId) {
      throw new NotFoundException(`customer ${command.customerId} not found`);
    }
    const invalid = invalidLines(command.lines);
    if (invalid) throw new ProblemException(400, 'invalid-order-lines', 'Invalid order lines', `${invalid}.`);

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
    await tx.getRepository(OrderEntity).insert({
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
    return toOrderView(await tx.getRepository(OrderEntity).findOneByOrFail({ id }));
  }
}
