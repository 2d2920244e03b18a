import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Fulfilment's catalogue, locations and stock buckets. No phantom stock is a database rule:
 * a bucket's reserved units never exceed its on-hand units and neither is ever negative.
 */
export class FulfilmentStock1795200000800 implements MigrationInterface {
  name = 'FulfilmentStock1795200000800';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE fulfilment_sku (
        sku text PRIMARY KEY,
        name text NOT NULL,
        unit_price bigint NOT NULL CHECK (unit_price > 0),
        currency char(3) NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE fulfilment_location (
        id text PRIMARY KEY,
        name text NOT NULL,
        kind text NOT NULL CHECK (kind IN ('store', 'warehouse')),
        lat double precision NOT NULL CHECK (lat BETWEEN -90 AND 90),
        lon double precision NOT NULL CHECK (lon BETWEEN -180 AND 180),
        handling_cost_per_unit bigint NOT NULL CHECK (handling_cost_per_unit >= 0),
        shipping_cost_per_km double precision NOT NULL CHECK (shipping_cost_per_km >= 0),
        fixed_cost_per_shipment bigint NOT NULL CHECK (fixed_cost_per_shipment >= 0),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE fulfilment_stock (
        location_id text NOT NULL REFERENCES fulfilment_location (id),
        sku text NOT NULL REFERENCES fulfilment_sku (sku),
        on_hand int NOT NULL,
        reserved int NOT NULL DEFAULT 0,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (location_id, sku),
        CONSTRAINT fulfilment_stock_no_phantom CHECK (reserved >= 0 AND on_hand >= 0 AND reserved <= on_hand)
      )`);
    await q.query(`CREATE INDEX fulfilment_stock_sku_idx ON fulfilment_stock (sku, location_id)`);
    // Telemetry may name buckets before they are configured: no foreign keys here.
    await q.query(`
      CREATE TABLE fulfilment_stock_observation (
        location_id text NOT NULL,
        sku text NOT NULL,
        observed_on_hand int NOT NULL CHECK (observed_on_hand >= 0),
        observed_at timestamptz NOT NULL,
        drift int,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (location_id, sku)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE fulfilment_stock_observation`);
    await q.query(`DROP TABLE fulfilment_stock`);
    await q.query(`DROP TABLE fulfilment_location`);
    await q.query(`DROP TABLE fulfilment_sku`);
  }
}
