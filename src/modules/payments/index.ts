/** The payments module's public surface: the only file other modules may import. */
export { Payables } from './application/payables.js';
export type { Payable, PayableResolver, PayableStanding } from './application/payables.js';
export type { PaymentView } from './application/payment.view.js';
export * from './events/index.js';
export { GatewaySimRandom } from './gateway/gateway-sim-random.js';
export type { RandomSource } from './gateway/gateway-sim-random.js';
export {
  GatewayAuthenticationError,
  GatewayRequestRejectedError,
  GatewayTimeoutError,
  GatewayUnavailableError,
  PAYMENT_GATEWAY,
} from './gateway/payment-gateway.js';
export type {
  ChargeRequest,
  ChargeResult,
  PaymentGateway,
  RefundRequest,
  RefundResult,
} from './gateway/payment-gateway.js';
export {
  signWebhook,
  verifyWebhookSignature,
  WEBHOOK_SIGNATURE_HEADER,
  WEBHOOK_TOLERANCE_SECONDS,
} from './gateway/webhook-signature.js';
export { PaymentsApi, NO_CHARGE_AT_GATEWAY } from './payments.api.js';
export type { ResolvePendingOutcome } from './payments.api.js';
export { PaymentsModule } from './payments.module.js';
export { GatewaySimulatorControlModule } from './gateway-simulator-control.module.js';
export type { GatewaySimView } from './http/gateway-simulator-admin.controller.js';
export { paymentsManifest } from './payments.manifest.js';
