import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { APP_CONFIG, type AppConfig } from '../../config/index.js';
import { LedgerModule } from '../ledger/index.js';
import { GatewayResultApplier } from './application/apply-gateway-result.js';
import { Payables } from './application/payables.js';
import { ReceiveGatewayWebhookHandler } from './application/receive-gateway-webhook.handler.js';
import { PaymentRefunder } from './application/refund-payment.js';
import { RequestPaymentHandler } from './application/request-payment.handler.js';
import { GatewaySimRandom } from './gateway/gateway-sim-random.js';
import { HTTP_GATEWAY_SETTINGS, HttpPaymentGateway, httpGatewaySettings } from './gateway/http-payment-gateway.js';
import { PAYMENT_GATEWAY, type PaymentGateway } from './gateway/payment-gateway.js';
import { PgSimChargeStore, SIM_CHARGE_STORE } from './gateway/sim-charge.store.js';
import { GATEWAY_SIM_SETTINGS, SimulatedGateway } from './gateway/simulated-gateway.js';
import { GatewaySignatureGuard } from './http/gateway-signature.guard.js';
import { GatewayWebhookController } from './http/gateway-webhook.controller.js';
import { PaymentsController } from './http/payments.controller.js';
import { PaymentsApi } from './payments.api.js';
import { PaymentEntity } from './persistence/payment.entity.js';
import { PaymentRepository } from './persistence/payment.repository.js';
import { WebhookReceiptPruner } from './persistence/webhook-receipt.pruner.js';
import { LedgerMatchesPaymentsReconciler } from './reconcilers/ledger-matches-payments.reconciler.js';
import { ResolveStalePendingPaymentsReconciler } from './reconcilers/resolve-stale-pending-payments.reconciler.js';
import { paymentsManifest } from './payments.manifest.js';

/** Payments for debts and orders: idempotent requests, gateway charges, webhooks, refunds. */
@Module({
  imports: [TypeOrmModule.forFeature([PaymentEntity]), LedgerModule],
  controllers: [PaymentsController, GatewayWebhookController],
  providers: [
    Payables,
    PaymentsApi,
    ResolveStalePendingPaymentsReconciler,
    LedgerMatchesPaymentsReconciler,
    RequestPaymentHandler,
    GatewayResultApplier,
    PaymentRefunder,
    PaymentRepository,
    ReceiveGatewayWebhookHandler,
    // Its listeners, from the manifest: adding one touches only its file and payments.manifest.ts.
    ...paymentsManifest.listeners,
    GatewaySignatureGuard,
    WebhookReceiptPruner,
    // The gateway adapter (PAYMENT_GATEWAY): the provider over HTTP, or the in-process simulator.
    // Both are declared; Nest builds providers eagerly, but neither opens a connection until called.
    {
      provide: PAYMENT_GATEWAY,
      inject: [APP_CONFIG, HttpPaymentGateway, SimulatedGateway],
      useFactory: (config: AppConfig, http: HttpPaymentGateway, simulated: SimulatedGateway): PaymentGateway =>
        config.paymentGateway.kind === 'http' ? http : simulated,
    },
    HttpPaymentGateway,
    {
      provide: HTTP_GATEWAY_SETTINGS,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) =>
        config.paymentGateway.kind === 'http' ? httpGatewaySettings(config.paymentGateway) : undefined,
    },
    SimulatedGateway,
    GatewaySimRandom,
    { provide: SIM_CHARGE_STORE, useClass: PgSimChargeStore },
    // A copy: the simulator's faults may change while the process runs (GatewaySimulatorControlModule).
    {
      provide: GATEWAY_SIM_SETTINGS,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({ ...config.gatewaySim }),
    },
  ],
  exports: [Payables, PaymentsApi, GATEWAY_SIM_SETTINGS],
})
export class PaymentsModule {}
