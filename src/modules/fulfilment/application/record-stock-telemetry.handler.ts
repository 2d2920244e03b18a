import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { OutboxWriter } from '../../../outbox/index.js';
import { StockObservedV1, type StockObservedV1Payload, stockBucketId } from '../events/index.js';

/**
 * Accepts a batch of scanner readings: one `fulfilment.stock-observed` event per reading, all
 * appended in one transaction (the batch is accepted whole or not at all). Applying them is the
 * bulk-lane subscriber's job, so telemetry never competes with orders or payments.
 */
@Injectable()
export class RecordStockTelemetryHandler {
  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: OutboxWriter,
  ) {}

  async execute(readings: readonly StockObservedV1Payload[]): Promise<{ accepted: number }> {
    await this.dataSource.transaction((tx) =>
      this.outbox.append(
        tx,
        readings.map((reading) => ({
          contract: StockObservedV1,
          aggregateId: stockBucketId(reading.locationId, reading.sku),
          payload: {
            locationId: reading.locationId,
            sku: reading.sku,
            observedOnHand: reading.observedOnHand,
            observedAt: reading.observedAt,
          },
        })),
      ),
    );
    return { accepted: readings.length };
  }
}
