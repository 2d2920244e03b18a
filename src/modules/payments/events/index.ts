export { PAYMENT_PURPOSES, PaymentRequestedV1, PaymentRequestedV1Payload } from './payment-requested.v1.js';
export type { PaymentPurpose } from './payment-requested.v1.js';
export { PaymentConfirmedV1, PaymentConfirmedV1Payload } from './payment-confirmed.v1.js';
export { PaymentFailedV1, PaymentFailedV1Payload } from './payment-failed.v1.js';
export { PaymentRefundedV1, PaymentRefundedV1Payload } from './payment-refunded.v1.js';
export { PaymentRefundRequestedV1, PaymentRefundRequestedV1Payload } from './payment-refund-requested.v1.js';
