import { IsIn, IsInt, IsString, IsUUID, Min } from 'class-validator';
import { defineEvent } from '../../../outbox/index.js';
import { IsCurrencyCode } from '../../../platform/index.js';
import { PAYMENT_PURPOSES, type PaymentPurpose } from './payment-requested.v1.js';

export class PaymentConfirmedV1Payload {
  @IsUUID() paymentId!: string;
  @IsIn([...PAYMENT_PURPOSES]) purpose!: PaymentPurpose;
  @IsString() referenceId!: string;
  @IsInt() @Min(1) amount!: number;
  @IsCurrencyCode() currency!: string;
  @IsString() gatewayRef!: string;
}

/** The gateway took the money (by worker result or webhook, whichever came first). */
export const PaymentConfirmedV1 = defineEvent({
  type: 'payments.payment-confirmed',
  version: 1,
  owner: 'payments',
  aggregateType: 'payment',
  description: 'The gateway charge succeeded; the money is received.',
  payload: PaymentConfirmedV1Payload,
});
