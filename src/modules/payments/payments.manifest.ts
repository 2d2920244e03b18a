import { defineModule } from '../../outbox/index.js';
import {
  PaymentConfirmedV1,
  PaymentFailedV1,
  PaymentRefundedV1,
  PaymentRefundRequestedV1,
  PaymentRequestedV1,
} from './events/index.js';
import { ChargeGatewayWhenPaymentRequestedListener } from './listeners/charge-gateway-when-payment-requested.listener.js';
import { RefundAtGatewayListener } from './listeners/refund-at-gateway.listener.js';
import { RefundAtGatewayWhenRequestedListener } from './listeners/refund-at-gateway-when-requested.listener.js';
import { RefundWhenOrderClosedListener } from './listeners/refund-when-order-closed.listener.js';

/** What the payments module publishes and hears (docs/modules.md is generated from it). */
export const paymentsManifest = defineModule({
  name: 'payments',
  summary: 'Payments for debts and orders: idempotent requests, gateway charges, webhooks, refunds.',
  facade: ['PaymentsApi', 'Payables'],
  publishes: [PaymentRequestedV1, PaymentConfirmedV1, PaymentFailedV1, PaymentRefundRequestedV1, PaymentRefundedV1],
  listeners: [
    ChargeGatewayWhenPaymentRequestedListener,
    RefundWhenOrderClosedListener,
    RefundAtGatewayWhenRequestedListener,
    // Retired (ADR 0048): drains payment-refunded deliveries made before refunds were requested first.
    RefundAtGatewayListener,
  ],
});
