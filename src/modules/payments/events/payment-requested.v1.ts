import { IsIn, IsInt, IsOptional, IsString, IsUUID, Min } from 'class-validator';
import { defineEvent } from '../../../outbox/index.js';
import { IsCurrencyCode } from '../../../platform/index.js';

export const PAYMENT_PURPOSES = ['debt', 'order'] as const;
export type PaymentPurpose = (typeof PAYMENT_PURPOSES)[number];

export class PaymentRequestedV1Payload {
  @IsUUID() paymentId!: string;
  @IsIn([...PAYMENT_PURPOSES]) purpose!: PaymentPurpose;
  @IsString() referenceId!: string;
  @IsInt() @Min(1) amount!: number;
  @IsCurrencyCode() currency!: string;
  /**
   * What the payer sees on the gateway statement (a debt's `reference`), fixed when the payment was
   * accepted; absent in events appended before it was added and for references without one (an
   * order: its id is used).
   */
  @IsOptional() @IsString() statementReference?: string;
}

/** A payment was accepted and awaits its gateway charge. */
export const PaymentRequestedV1 = defineEvent({
  type: 'payments.payment-requested',
  version: 1,
  owner: 'payments',
  aggregateType: 'payment',
  description: 'A payment was accepted (202) and awaits its gateway charge.',
  payload: PaymentRequestedV1Payload,
});
