import { type DynamicModule, Module } from '@nestjs/common';
import type { AppConfig } from '../../config/index.js';
import { GatewaySimulatorAdminController } from './http/gateway-simulator-admin.controller.js';
import { PaymentsModule } from './payments.module.js';

/**
 * `GET`/`PATCH /admin/gateway-simulator`, mounted only when `GATEWAY_SIM_CONTROL` is on (development
 * and test; production refuses it at start) and the gateway is the in-process simulator: otherwise
 * the route does not exist (404), whatever the token.
 */
@Module({})
export class GatewaySimulatorControlModule {
  static register(config: AppConfig): DynamicModule {
    const mounted = config.gatewaySimControl && config.paymentGateway.kind === 'simulated';
    return {
      module: GatewaySimulatorControlModule,
      imports: [PaymentsModule],
      controllers: mounted ? [GatewaySimulatorAdminController] : [],
    };
  }
}
