import { IsIn, IsInt, IsString, IsUUID, Min } from 'class-validator';
import { defineEvent } from '../../../outbox/index.js';
import { IsCurrencyCode } from '../../../platform/index.js';
import { PAYMENT_PURPOSES, type PaymentPurpose } from './payment-requested.v1.js';

export class PaymentRefundRequestedV1Payload {
  @IsUUID() paymentId!: string;
  @IsIn([...PAYMENT_PURPOSES]) purpose!: PaymentPurpose;
  @IsString() referenceId!: string;
  @IsInt() @Min(1) amount!: number;
  @IsCurrencyCode() currency!: string;
  /** Why it is refunded (the order was rejected or cancelled, a duplicate payment). */
  @IsString() reason!: string;
}

/**
 * A confirmed payment is to be refunded: payments asks the provider for the refund (after commit,
 * as a charge follows its request) and states `payments.payment-refunded` once it has answered.
 */
export const PaymentRefundRequestedV1 = defineEvent({
  type: 'payments.payment-refund-requested',
  version: 1,
  owner: 'payments',
  aggregateType: 'payment',
  description: 'A confirmed payment is to be refunded; the provider has not been asked yet.',
  payload: PaymentRefundRequestedV1Payload,
});
