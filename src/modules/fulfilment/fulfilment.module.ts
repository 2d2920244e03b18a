import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { RecordStockTelemetryHandler } from './application/record-stock-telemetry.handler.js';
import { SetStockLevelHandler } from './application/set-stock-level.handler.js';
import { StockLevelsQuery } from './application/stock-levels.query.js';
import { UpsertLocationHandler } from './application/upsert-location.handler.js';
import { UpsertSkuHandler } from './application/upsert-sku.handler.js';
import { CatalogueController } from './http/catalogue.controller.js';
import { RecordStockObservationListener } from './listeners/record-stock-observation.listener.js';
import { LocationEntity } from './persistence/location.entity.js';
import { SkuEntity } from './persistence/sku.entity.js';
import { StockBucketEntity } from './persistence/stock-bucket.entity.js';
import { StockObservationEntity } from './persistence/stock-observation.entity.js';

/** Catalogue, bucketed stock, orders, routing, reservation and shipping. */
@Module({
  imports: [TypeOrmModule.forFeature([SkuEntity, LocationEntity, StockBucketEntity, StockObservationEntity])],
  controllers: [CatalogueController],
  providers: [
    UpsertSkuHandler,
    UpsertLocationHandler,
    SetStockLevelHandler,
    StockLevelsQuery,
    RecordStockTelemetryHandler,
    RecordStockObservationListener,
  ],
})
export class FulfilmentModule {}
