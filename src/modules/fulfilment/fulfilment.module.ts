import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { APP_CONFIG, type AppConfig } from '../../config/index.js';
import { LedgerModule } from '../ledger/index.js';
import { PaymentsModule } from '../payments/index.js';
import { OrderLifecycle } from './application/order-lifecycle.js';
import { OrderPayables } from './application/order-payables.js';
import { PlaceOrderHandler } from './application/place-order.handler.js';
import { RecordStockTelemetryHandler } from './application/record-stock-telemetry.handler.js';
import { MILP_SOLVER, ReserveInventory } from './application/reserve-inventory.js';
import { PooledMilpSolver } from './application/routing/pooled-milp-solver.js';
import { SetStockLevelHandler } from './application/set-stock-level.handler.js';
import { StockLevelsQuery } from './application/stock-levels.query.js';
import { UpsertLocationHandler } from './application/upsert-location.handler.js';
import { UpsertSkuHandler } from './application/upsert-sku.handler.js';
import { CatalogueController } from './http/catalogue.controller.js';
import { OrdersController } from './http/orders.controller.js';
import { LocationEntity } from './persistence/location.entity.js';
import { OrderEntity } from './persistence/order.entity.js';
import { SkuEntity } from './persistence/sku.entity.js';
import { StockBucketEntity } from './persistence/stock-bucket.entity.js';
import { StockObservationEntity } from './persistence/stock-observation.entity.js';
import { CancelExpiredReservationsReconciler } from './reconcilers/cancel-expired-reservations.reconciler.js';
import { ReservationsMatchOrdersReconciler } from './reconcilers/reservations-match-orders.reconciler.js';
import { fulfilmentManifest } from './fulfilment.manifest.js';

/** Catalogue, bucketed stock, orders, routing, reservation and shipping. */
@Module({
  imports: [
    TypeOrmModule.forFeature([SkuEntity, LocationEntity, StockBucketEntity, StockObservationEntity, OrderEntity]),
    LedgerModule,
    PaymentsModule,
  ],
  controllers: [CatalogueController, OrdersController],
  providers: [
    UpsertSkuHandler,
    UpsertLocationHandler,
    SetStockLevelHandler,
    StockLevelsQuery,
    RecordStockTelemetryHandler,
    PlaceOrderHandler,
    OrderPayables,
    OrderLifecycle,
    ReserveInventory,
    {
      // HiGHS in worker threads (ADR 0024), started only where reservations run: the worker role.
      provide: MILP_SOLVER,
      inject: [APP_CONFIG],
      useFactory: async (config: AppConfig) => {
        const solver = new PooledMilpSolver({ threads: config.fulfilment.routingSolverThreads });
        if (config.roles.has('worker')) await solver.warmUp();
        return solver;
      },
    },
    // Its listeners, from the manifest: adding one touches only its file and fulfilment.manifest.ts.
    ...fulfilmentManifest.listeners,
    CancelExpiredReservationsReconciler,
    ReservationsMatchOrdersReconciler,
  ],
})
export class FulfilmentModule {}
