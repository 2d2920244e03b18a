import { IsInt, IsString, IsUUID, Min } from 'class-validator';
import { defineEvent } from '../../../outbox/index.js';
import { IsCurrencyCode } from '../../../platform/index.js';

export class PaymentRefundedV1Payload {
  @IsUUID() paymentId!: string;
  @IsString() referenceId!: string;
  @IsInt() @Min(1) amount!: number;
  @IsCurrencyCode() currency!: string;
}

/** A confirmed payment was given back (its ledger entries reversed by new entries). */
export const PaymentRefundedV1 = defineEvent({
  type: 'payments.payment-refunded',
  version: 1,
  owner: 'payments',
  aggregateType: 'payment',
  description: 'A confirmed payment was refunded; its ledger entries were reversed by new entries.',
  payload: PaymentRefundedV1Payload,
});
