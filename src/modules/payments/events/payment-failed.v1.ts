import { IsIn, IsString, IsUUID } from 'class-validator';
import { defineEvent } from '../../../outbox/index.js';
import { PAYMENT_PURPOSES, type PaymentPurpose } from './payment-requested.v1.js';

export class PaymentFailedV1Payload {
  @IsUUID() paymentId!: string;
  @IsIn([...PAYMENT_PURPOSES]) purpose!: PaymentPurpose;
  @IsString() referenceId!: string;
  @IsString() reason!: string;
}

/** The gateway declined the charge; nothing was taken. */
export const PaymentFailedV1 = defineEvent({
  type: 'payments.payment-failed',
  version: 1,
  owner: 'payments',
  aggregateType: 'payment',
  description: 'The gateway declined the charge; nothing was taken.',
  payload: PaymentFailedV1Payload,
});
