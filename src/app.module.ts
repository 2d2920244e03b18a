import { type DynamicModule, Global, Module } from '@nestjs/common';
import { eventCatalogue } from './event-catalogue.js';
import { type AppConfig, ConfigModule } from './config/index.js';
import { DatabaseModule } from './database/index.js';
import { DebtsModule } from './modules/debts/index.js';
import { FulfilmentModule } from './modules/fulfilment/index.js';
import { LedgerModule } from './modules/ledger/index.js';
import { LicencesModule } from './modules/licences/index.js';
import { GatewaySimulatorControlModule, PaymentsModule } from './modules/payments/index.js';
import { type EventCatalogue, OutboxModule, QueueBackend } from './outbox/host.js';
import { OutboxAdminModule } from './outbox-admin/index.js';
import { outboxOptionsFrom, outboxPorts } from './outbox-wiring.js';
import { loggingModule, PlatformModule, QUEUE_ENGINE, type QueueEngine } from './platform/index.js';
import { ReconciliationModule } from './reconciliation/index.js';

/**
 * The composition root's wiring of ports: the platform declares what it needs from the queue engine
 * (`QUEUE_ENGINE`: readiness, the Redis of shared rate limits) and the outbox's `QueueBackend`
 * provides it, so neither imports the other's insides and the platform never imports the outbox.
 */
@Global()
@Module({
  providers: [
    { provide: QUEUE_ENGINE, inject: [QueueBackend], useFactory: (queues: QueueBackend): QueueEngine => queues },
  ],
  exports: [QUEUE_ENGINE],
})
class PortsModule {}

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
        OutboxModule.forRoot({ catalogue, options: outboxOptionsFrom(config), ports: outboxPorts }),
        OutboxAdminModule,
        PortsModule,
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
