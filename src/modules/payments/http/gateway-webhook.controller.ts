import { Body, Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import { ApiHeader, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ApiBodyProblems, ApiProblems, Public, WebhookBudget } from '../../../platform/index.js';
import { ReceiveGatewayWebhookHandler } from '../application/receive-gateway-webhook.handler.js';
import { WEBHOOK_SIGNATURE_HEADER } from '../gateway/webhook-signature.js';
import { GatewaySignatureGuard } from './gateway-signature.guard.js';
import { GatewayWebhookDto } from './gateway-webhook.dto.js';
import { WebhookReceivedResponse } from './payment.response.js';

@ApiTags('payments')
@Controller('v1/payments')
export class GatewayWebhookController {
  constructor(private readonly webhooks: ReceiveGatewayWebhookHandler) {}

  /**
   * The gateway's signed charge notification. No token: the HMAC signature is the authentication.
   * A repeated `eventId` answers 200 with no second effect; an unknown payment is 404 and an
   * amount or currency that differs from the payment's is 422, both without effect. Rate limited per
   * client address in a budget of its own (`RATE_LIMIT_WEBHOOK_PER_MINUTE`).
   */
  @Post('gateway-webhook')
  @Public()
  @WebhookBudget()
  @UseGuards(GatewaySignatureGuard)
  @HttpCode(200)
  @ApiHeader({
    name: WEBHOOK_SIGNATURE_HEADER,
    required: true,
    description: 't=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" with GATEWAY_WEBHOOK_SECRET>',
  })
  @ApiOkResponse({
    type: WebhookReceivedResponse,
    description: 'Received; an eventId seen before has no second effect',
  })
  @ApiProblems(
    [400, 'Invalid body, or a missing, malformed, stale or wrong signature'],
    [404, 'Unknown payment'],
    [422, 'Amount or currency differs from the payment’s'],
    429,
  )
  @ApiBodyProblems()
  async receive(@Body() body: GatewayWebhookDto): Promise<{ received: true }> {
    await this.webhooks.execute(body);
    return { received: true };
  }
}
