import { type DynamicModule, Module } from '@nestjs/common';
import { eventCatalogue } from './event-catalogue.js';
import { type AppConfig, ConfigModule } from './config/index.js';
import { DatabaseModule } from './database/index.js';
import { DebtsModule } from './modules/debts/index.js';
import { FulfilmentModule } from './modules/fulfilment/index.js';
import { LedgerModule } from './modules/ledger/index.js';
import { LicencesModule } from './modules/licences/index.js';
import { GatewaySimulatorControlModule, PaymentsModule } from './modules/payments/index.js';
import { type EventCatalogue, OutboxModule } from './outbox/index.js';
import { loggingModule, PlatformModule } from './platform/index.js';
import { ReconciliationModule } from './reconciliation/index.js';

/** The whole application, built from a validated configuration. */
@Module({})
export class AppModule {
  /** `catalogue` is replaceable so outbox tests can run the real app with events of their own. */
  static register(config: AppConfig, catalogue: EventCatalogue = eventCatalogue): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        loggingModule(config),
        DatabaseModule.forRoot(config),
        OutboxModule.forRoot(catalogue),
        PlatformModule,
        ReconciliationModule,
        LedgerModule,
        DebtsModule,
        PaymentsModule,
        GatewaySimulatorControlModule.register(config),
        LicencesModule,
        FulfilmentModule,
      ],
    };
  }
}
