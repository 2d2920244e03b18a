import { ApiProperty } from '@nestjs/swagger';
import type { PaymentView } from '../application/payment.view.js';
import { PAYMENT_PURPOSES, type PaymentPurpose } from '../events/index.js';
import { PAYMENT_VIEW_STATUSES, type PaymentViewStatus } from '../domain/payment.js';

/** {@link PaymentView} for the OpenAPI document (API.md, `Payment`). */
export class PaymentResponse implements PaymentView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: PAYMENT_PURPOSES }) purpose!: PaymentPurpose;
  @ApiProperty({ description: 'the debt or order paid' }) referenceId!: string;
  @ApiProperty({ type: 'integer', description: 'integer minor units' }) amount!: number;
  @ApiProperty({ example: 'SAR' }) currency!: string;
  @ApiProperty({ enum: PAYMENT_VIEW_STATUSES }) status!: PaymentViewStatus;
  @ApiProperty({ type: String, nullable: true }) failureReason!: string | null;
  @ApiProperty({ type: String, nullable: true }) gatewayRef!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) confirmedAt!: string | null;
}

/** The answer to a gateway webhook, new or seen before. */
export class WebhookReceivedResponse {
  @ApiProperty({ type: Boolean, example: true, description: 'always true' }) received!: true;
}
