import { type DynamicModule, Inject, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/index.js';
import { OutboxAdminController } from './admin/outbox-admin.controller.js';
import { MessageJourneys } from './admin/message-journeys.js';
import { EventCatalogue } from './catalogue/event-catalogue.js';
import { DeadLetters } from './dead-letters/dead-letters.service.js';
import { CriticalFirst } from './delivery/critical-first.js';
import { DeliveryProcessor } from './delivery/delivery-processor.js';
import { DeliverySafetyCheck } from './delivery/delivery-safety.js';
import { DeliveryWorkers } from './delivery/delivery-workers.js';
import { HandlerRegistry } from './delivery/handler-registry.js';
import { LaneQueues } from './delivery/lane-queues.js';
import { Maintenance } from './maintenance/maintenance.js';
import { ScheduledTasks } from './maintenance/scheduled-tasks.js';
import { Pruning } from './maintenance/pruning.js';
import { Retention } from './maintenance/retention.js';
import { RedriveObservers } from './maintenance/redrive-observers.js';
import { Sweeper } from './maintenance/sweeper.js';
import { TaskRunPruner } from './maintenance/task-run-pruner.js';
import { OutboxGauges } from './metrics/outbox-gauges.js';
import { OutboxMetrics } from './metrics/outbox-metrics.js';
import { QueueBackend, RedisConnections } from './redis/redis-connections.js';
import { Relay } from './relay/relay.js';
import { RelayLoop } from './relay/relay-loop.js';
import { RelaySignal } from './relay/relay-signal.js';
import { usePreparedStatements } from './sql/prepared.js';
import { OutboxWriter } from './writer/outbox-writer.js';

/**
 * The delivery infrastructure, and the only module that knows BullMQ and Redis. Which parts run
 * follows `APP_ROLES`: the relay loop (`relay`), the lane workers (`worker`), the sweeper and
 * retention and `@Pruner()` schedules (`scheduler`); the writer and admin API are always available.
 */
@Module({})
export class OutboxModule {
  constructor(dataSource: DataSource, @Inject(APP_CONFIG) config: AppConfig) {
    usePreparedStatements(dataSource, config.dbPreparedStatements);
  }

  static forRoot(catalogue: EventCatalogue): DynamicModule {
    return {
      module: OutboxModule,
      global: true,
      imports: [DiscoveryModule],
      controllers: [OutboxAdminController],
      providers: [
        { provide: EventCatalogue, useValue: catalogue },
        DeliverySafetyCheck,
        RedisConnections,
        {
          provide: QueueBackend,
          inject: [APP_CONFIG, RedisConnections, DataSource],
          useFactory: QueueBackend.create,
        },
        OutboxMetrics,
        OutboxGauges,
        CriticalFirst,
        RelaySignal,
        OutboxWriter,
        LaneQueues,
        HandlerRegistry,
        DeadLetters,
        MessageJourneys,
        DeliveryProcessor,
        DeliveryWorkers,
        Relay,
        RelayLoop,
        Sweeper,
        RedriveObservers,
        Retention,
        ScheduledTasks,
        Maintenance,
        Pruning,
        TaskRunPruner,
      ],
      exports: [
        EventCatalogue,
        OutboxWriter,
        RedisConnections,
        QueueBackend,
        OutboxMetrics,
        ScheduledTasks,
        RedriveObservers,
      ],
    };
  }
}
