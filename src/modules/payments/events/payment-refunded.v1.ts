import { IsIn, IsInt, IsOptional, IsString, IsUUID, Min } from 'class-validator';
import { defineEvent } from '../../../outbox/index.js';
import { IsCurrencyCode } from '../../../platform/index.js';
import { PAYMENT_PURPOSES, type PaymentPurpose } from './payment-requested.v1.js';

export class PaymentRefundedV1Payload {
  @IsUUID() paymentId!: string;
  /**
   * What the payment paid for, so a subscriber can tell orders from debts. Added after the first
   * release as an optional field (still version 1); payments always fills it.
   */
  @IsOptional() @IsIn([...PAYMENT_PURPOSES]) purpose?: PaymentPurpose;
  @IsString() referenceId!: string;
  @IsInt() @Min(1) amount!: number;
  @IsCurrencyCode() currency!: string;
  /** Why it was refunded (e.g. the order was rejected). Optional like `purpose`; always filled. */
  @IsOptional() @IsString() reason?: string;
  /**
   * The provider's reference of the refund: the event is appended only once the provider answered
   * with it. Optional (still version 1) like `purpose`; always filled since it was added.
   */
  @IsOptional() @IsString() refundRef?: string;
}

/** A confirmed payment was given back by the provider (its ledger entries reversed by new entries). */
export const PaymentRefundedV1 = defineEvent({
  type: 'payments.payment-refunded',
  version: 1,
  owner: 'payments',
  aggregateType: 'payment',
  description:
    'A confirmed payment was refunded by the provider (refundRef); its ledger entries were reversed by new entries.',
  payload: PaymentRefundedV1Payload,
});
