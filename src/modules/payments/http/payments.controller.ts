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
import { type PaymentView, toPaymentView } from '../application/payment.view.js';
import { RequestPaymentHandler } from '../application/request-payment.handler.js';
import { ownerRoleOf } from '../domain/payment-rules.js';
import { PaymentRepository } from '../persistence/payment.repository.js';
import { PaymentResponse } from './payment.response.js';
import { RequestPaymentDto } from './request-payment.dto.js';

@ApiTags('payments')
@ApiBearerAuth()
@ApiAuthProblems()
@Controller('v1/payments')
export class PaymentsController {
  constructor(
    private readonly idempotency: IdempotencyService,
    private readonly requestPayment: RequestPaymentHandler,
    private readonly dataSource: DataSource,
    private readonly payments: PaymentRepository,
  ) {}

  /**
   * Accepts a payment (202, `pending`); the charge follows asynchronously. Citizens pay their own
   * debts, customers their own orders, admins anything; a role that may not pay the purpose gets
   * 403, a reference that is unknown or someone else's 404. Refusals (4xx thrown) are not stored
   * with the key: the same key may be retried once the cause is fixed.
   */
  @Post()
  @Roles('citizen', 'customer', 'admin')
  @ApiAcceptedResponse({ type: PaymentResponse, description: 'Payment accepted, status pending' })
  @ApiProblems(
    [400, 'Invalid body, or Idempotency-Key missing or invalid'],
    [403, 'The roles may not pay this purpose'],
    [404, 'Unknown reference, or another owner’s'],
    [409, 'The reference takes no more payments, or the same Idempotency-Key is in flight (Retry-After)'],
    [422, 'Amount or currency the reference does not accept, or the Idempotency-Key reused with another body'],
  )
  @ApiBodyProblems()
  async request(
    @Body() body: RequestPaymentDto,
    @IdempotentRequest() keyed: IdempotencyRequest,
    @CurrentPrincipal() principal: Principal,
    @Res({ passthrough: true }) response: Response,
  ): Promise<PaymentView> {
    const result = await this.idempotency.execute(keyed, async (tx) => ({
      status: 202,
      body: await this.requestPayment.execute(tx, principal, body),
    }));
    return applyIdempotentResult(response, result);
  }

  /**
   * The payment, to its owner (the citizen who owns the debt it pays, the customer who owns the
   * order) or an admin; else 404. The owner's role counts: a customer whose id is a citizen's sees
   * none of that citizen's payments.
   */
  @Get(':id')
  @Roles('citizen', 'customer', 'admin')
  @ApiOkResponse({ type: PaymentResponse })
  @ApiProblems(400, 404)
  async get(
    @Param('id', new ParseUUIDPipe()) id: string,
    @CurrentPrincipal() principal: Principal,
  ): Promise<PaymentView> {
    const payment = await this.payments.find(this.dataSource.manager, id);
    if (
      !payment ||
      (!principal.roles.includes('admin') && !isOwner(principal, ownerRoleOf(payment.purpose), payment.ownerId))
    ) {
      throw new NotFoundException(`payment ${id} not found`);
    }
    return toPaymentView(payment);
  }
}
