import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsUUID } from 'class-validator';
import { IsAcceptedCurrency, IsMinorUnits } from '../../../platform/index.js';
import { PAYMENT_PURPOSES, type PaymentPurpose } from '../events/index.js';

/** `POST /v1/payments`; unknown and read-only fields (`status`, `id`, ...) are refused with 400. */
export class RequestPaymentDto {
  @ApiProperty({ enum: PAYMENT_PURPOSES })
  @IsIn([...PAYMENT_PURPOSES])
  purpose!: PaymentPurpose;

  @ApiProperty({ format: 'uuid', description: 'the debt or order paid for' })
  @IsUUID()
  referenceId!: string;

  @IsMinorUnits()
  amount!: number;

  @IsAcceptedCurrency()
  currency!: string;
}
