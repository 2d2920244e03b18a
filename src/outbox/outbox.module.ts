import { type DynamicModule, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
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
import { OutboxGauges } from './metrics/outbox-gauges.js';
import { OutboxMetrics } from './metrics/outbox-metrics.js';
import { RedisConnections } from './redis/redis-connections.js';
import { Relay } from './relay/relay.js';
import { RelayLoop } from './relay/relay-loop.js';
import { RelaySignal } from './relay/relay-signal.js';
import { OutboxWriter } from './writer/outbox-writer.js';

/**
 * The delivery infrastructure, and the only module that knows BullMQ and Redis. Which parts run
 * follows `APP_ROLES`: the relay loop (`relay`), the lane workers (`worker`), the sweeper and
 * retention and `@Pruner()` schedules (`scheduler`); the writer and admin API are always available.
 */
@Module({})
export class OutboxModule {
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
      ],
      exports: [EventCatalogue, OutboxWriter, RedisConnections, OutboxMetrics, ScheduledTasks, RedriveObservers],
    };
  }
}
