import { Body, Controller, Get, NotFoundException, Param, ParseUUIDPipe, Post, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { DataSource } from 'typeorm';
import {
  ApiAuthProblems,
  ApiBodyProblems,
  ApiProblems,
  applyIdempotentResult,
  CurrentPrincipal,
  IdempotencyService,
  type IdempotencyRequest,
  IdempotentRequest,
  isOwner,
  type Principal,
  Roles,
} from '../../../platform/index.js';
import { type OrderView, toOrderView } from '../application/order.view.js';
import { PlaceOrderHandler } from '../application/place-order.handler.js';
import { findOrderOrNull } from '../persistence/orders.js';
import { OrderResponse } from './fulfilment.response.js';
import { PlaceOrderDto } from './place-order.dto.js';

@ApiTags('fulfilment')
@ApiBearerAuth()
@ApiAuthProblems()
@Controller('v1/orders')
export class OrdersController {
  constructor(
    private readonly idempotency: IdempotencyService,
    private readonly placeOrder: PlaceOrderHandler,
    private readonly dataSource: DataSource,
  ) {}

  /**
   * Places an order (202, `placed`); reservation, payment and shipping follow asynchronously.
   * Customers order for themselves, admins for anyone. Requires `Idempotency-Key`; refusals (4xx)
   * are not stored with the key.
   */
  @Post()
  @Roles('customer', 'admin')
  @ApiAcceptedResponse({ type: OrderResponse, description: 'Order accepted, status placed' })
  @ApiProblems(
    [400, 'Invalid body or lines, unknown SKU, mixed currencies; Idempotency-Key missing or invalid'],
    [404, 'A customer ordering for another customer'],
    [409, 'Too many open unpaid orders, or the same Idempotency-Key is in flight (Retry-After)'],
    [422, 'More units than ORDER_MAX_UNITS, or the Idempotency-Key reused with another body'],
  )
  @ApiBodyProblems()
  async place(
    @Body() body: PlaceOrderDto,
    @IdempotentRequest() keyed: IdempotencyRequest,
    @CurrentPrincipal() principal: Principal,
    @Res({ passthrough: true }) response: Response,
  ): Promise<OrderView> {
    const result = await this.idempotency.execute(keyed, async (tx) => ({
      status: 202,
      body: await this.placeOrder.execute(tx, principal, body),
    }));
    return applyIdempotentResult(response, result);
  }

  /** The order, to its customer or an admin; anyone else gets 404. */
  @Get(':id')
  @Roles('customer', 'admin')
  @ApiOkResponse({ type: OrderResponse })
  @ApiProblems(400, 404)
  async get(
    @Param('id', new ParseUUIDPipe()) id: string,
    @CurrentPrincipal() principal: Principal,
  ): Promise<OrderView> {
    const order = await findOrderOrNull(this.dataSource.manager, id);
    if (!order || (!principal.roles.includes('admin') && !isOwner(principal, 'customer', order.customerId))) {
      throw new NotFoundException(`order ${id} not found`);
    }
    return toOrderView(order);
  }
}
