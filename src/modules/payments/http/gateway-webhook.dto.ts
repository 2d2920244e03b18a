import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsString, IsUUID, Length } from 'class-validator';
import { IsCurrencyCode, IsMinorUnits } from '../../../platform/index.js';

/** The gateway's webhook body; validated only after its signature was. */
export class GatewayWebhookDto {
  @ApiProperty({ description: "the gateway's event id; a repeated one has no second effect" })
  @IsString()
  @Length(1, 255)
  eventId!: string;

  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  paymentId!: string;

  @ApiProperty()
  @IsString()
  @Length(1, 255)
  gatewayRef!: string;

  @ApiProperty({ enum: ['succeeded', 'failed'] })
  @IsIn(['succeeded', 'failed'])
  status!: 'succeeded' | 'failed';

  @IsMinorUnits()
  amount!: number;

  /** Any ISO 4217 code: one that differs from the payment's is a 422, not a validation error. */
  @ApiProperty({ example: 'SAR' })
  @IsCurrencyCode()
  currency!: string;
}
