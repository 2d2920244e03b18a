import { type DynamicModule, Inject, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { DataSource } from 'typeorm';
import {
  OUTBOX_OPTIONS,
  type OutboxOptions,
  type OutboxOptionsInput,
  type OutboxRole,
  resolveOutboxOptions,
} from './outbox-options.js';
import { OUTBOX_PORTS, type OutboxPorts, resolvePorts } from './ports.js';
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

/** What the host gives the outbox (`OutboxModule.forRoot`). */
export interface OutboxModuleOptions {
  /** Every event contract, subscription and upcaster (`EventCatalogue.fromModules`). */
  catalogue: EventCatalogue;
  /** Validated with defaults by {@link resolveOutboxOptions}: a bad option fails the start, listing every problem. */
  options: OutboxOptionsInput;
  /** Which parts run in this process; overrides `options.roles`. Unset: every role. */
  roles?: Iterable<OutboxRole>;
  /** What the outbox needs from the host; each one left out takes the outbox's default (`ports.ts`). */
  ports?: Partial<OutboxPorts>;
}

/**
 * The delivery infrastructure, and the only module that knows BullMQ and Redis. Which parts run
 * follows its roles: the relay loop (`relay`), the lane workers (`worker`), the sweeper and
 * retention and pruner schedules (`scheduler`); the writer and admin API are always available.
 */
@Module({})
export class OutboxModule {
  constructor(dataSource: DataSource, @Inject(OUTBOX_OPTIONS) config: OutboxOptions) {
    usePreparedStatements(dataSource, config.dbPreparedStatements);
  }

  static forRoot({ catalogue, options, roles, ports }: OutboxModuleOptions): DynamicModule {
    const resolved = resolveOutboxOptions(roles === undefined ? options : { ...options, roles });
    return {
      module: OutboxModule,
      global: true,
      imports: [DiscoveryModule],
      providers: [
        { provide: EventCatalogue, useValue: catalogue },
        { provide: OUTBOX_OPTIONS, useValue: resolved },
        { provide: OUTBOX_PORTS, useValue: resolvePorts(ports) },
        DeliverySafetyCheck,
        RedisConnections,
        {
          provide: QueueBackend,
          inject: [OUTBOX_OPTIONS, RedisConnections, DataSource],
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
        DeadLetters,
        MessageJourneys,
        LaneQueues,
        OUTBOX_OPTIONS,
        OUTBOX_PORTS,
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
