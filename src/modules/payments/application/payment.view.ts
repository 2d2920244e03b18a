import type { PaymentPurpose } from '../events/index.js';
import { type PaymentViewStatus, viewStatusOf } from '../domain/payment.js';
import type { PaymentEntity } from '../persistence/payment.entity.js';

/** A payment as the API shows it (API.md, `Payment`). */
export interface PaymentView {
  id: string;
  purpose: PaymentPurpose;
  referenceId: string;
  amount: number;
  currency: string;
  /** `refunding` shows as `confirmed`: the provider has not given the money back yet. */
  status: PaymentViewStatus;
  failureReason: string | null;
  gatewayRef: string | null;
  createdAt: string;
  confirmedAt: string | null;
}

export function toPaymentView(payment: PaymentEntity): PaymentView {
  return {
    id: payment.id,
    purpose: payment.purpose,
    referenceId: payment.referenceId,
    amount: Number(payment.amount),
    currency: payment.currency,
    status: viewStatusOf(payment.status),
    failureReason: payment.failureReason,
    gatewayRef: payment.gatewayRef,
    createdAt: payment.createdAt.toISOString(),
    confirmedAt: payment.confirmedAt?.toISOString() ?? null,
  };
}
