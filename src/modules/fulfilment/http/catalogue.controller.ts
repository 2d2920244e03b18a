import { Body, Controller, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ApiAuthProblems, ApiBodyProblems, ApiProblems, Roles } from '../../../platform/index.js';
import type { LocationView, SkuView } from '../application/catalogue.view.js';
import { RecordStockTelemetryHandler } from '../application/record-stock-telemetry.handler.js';
import { SetStockLevelHandler } from '../application/set-stock-level.handler.js';
import { type SkuStockView, StockLevelsQuery } from '../application/stock-levels.query.js';
import { UpsertLocationHandler } from '../application/upsert-location.handler.js';
import { UpsertSkuHandler } from '../application/upsert-sku.handler.js';
import type { StockLevel } from '../domain/stock/stock.js';
import {
  LocationResponse,
  SkuResponse,
  SkuStockResponse,
  StockLevelResponse,
  TelemetryAcceptedResponse,
} from './fulfilment.response.js';
import { LocationIdPipe, SkuPipe } from './path-params.pipe.js';
import { SetStockLevelDto } from './set-stock-level.dto.js';
import { StockTelemetryDto } from './stock-telemetry.dto.js';
import { UpsertLocationDto } from './upsert-location.dto.js';
import { UpsertSkuDto } from './upsert-sku.dto.js';

@ApiTags('fulfilment')
@ApiBearerAuth()
@ApiAuthProblems()
@Controller('v1')
export class CatalogueController {
  constructor(
    private readonly upsertSku: UpsertSkuHandler,
    private readonly upsertLocation: UpsertLocationHandler,
    private readonly setStock: SetStockLevelHandler,
    private readonly stockLevels: StockLevelsQuery,
    private readonly telemetry: RecordStockTelemetryHandler,
  ) {}

  @Put('catalog/skus/:sku')
  @Roles('admin')
  @ApiOkResponse({ type: SkuResponse, description: 'Created or replaced' })
  @ApiProblems(400)
  @ApiBodyProblems()
  putSku(@Param('sku', SkuPipe) sku: string, @Body() body: UpsertSkuDto): Promise<SkuView> {
    return this.upsertSku.execute({ sku, ...body });
  }

  @Put('inventory/locations/:locationId')
  @Roles('admin')
  @ApiOkResponse({ type: LocationResponse, description: 'Created or replaced' })
  @ApiProblems(400)
  @ApiBodyProblems()
  putLocation(
    @Param('locationId', LocationIdPipe) locationId: string,
    @Body() body: UpsertLocationDto,
  ): Promise<LocationView> {
    return this.upsertLocation.execute({ locationId, ...body });
  }

  @Put('inventory/locations/:locationId/stock/:sku')
  @Roles('admin')
  @ApiOkResponse({ type: StockLevelResponse })
  @ApiProblems(400, [404, 'Unknown location or SKU'], [409, 'onHand below the reserved quantity'])
  @ApiBodyProblems()
  putStock(
    @Param('locationId', LocationIdPipe) locationId: string,
    @Param('sku', SkuPipe) sku: string,
    @Body() body: SetStockLevelDto,
  ): Promise<StockLevel> {
    return this.setStock.execute(locationId, sku, body.onHand);
  }

  @Get('inventory/skus/:sku')
  @Roles('admin')
  @ApiOkResponse({ type: SkuStockResponse })
  @ApiProblems(400, [404, 'Unknown SKU'])
  getSkuStock(@Param('sku', SkuPipe) sku: string): Promise<SkuStockView> {
    return this.stockLevels.forSku(sku);
  }

  @Post('inventory/telemetry')
  @Roles('service')
  @HttpCode(202)
  @ApiAcceptedResponse({ type: TelemetryAcceptedResponse, description: 'Readings recorded' })
  @ApiProblems(400)
  @ApiBodyProblems()
  postTelemetry(@Body() body: StockTelemetryDto): Promise<{ accepted: number }> {
    return this.telemetry.execute(body.readings);
  }
}
