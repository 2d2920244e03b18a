import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { LocationView } from './catalogue.view.js';

export type UpsertLocation = LocationView;

/** Creates or replaces a stock location: position and the costs the routing optimiser weighs. */
@Injectable()
export class UpsertLocationHandler {
  constructor(private readonly dataSource: DataSource) {}

  async execute(command: UpsertLocation): Promise<LocationView> {
    const [row] = await this.dataSource.query(
      `INSERT INTO fulfilment_location
         (id, name, kind, lat, lon, handling_cost_per_unit, shipping_cost_per_km, fixed_cost_per_shipment)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (id) DO UPDATE SET
         name = EXCLUDED.name, kind = EXCLUDED.kind, lat = EXCLUDED.lat, lon = EXCLUDED.lon,
         handling_cost_per_unit = EXCLUDED.handling_cost_per_unit,
         shipping_cost_per_km = EXCLUDED.shipping_cost_per_km,
         fixed_cost_per_shipment = EXCLUDED.fixed_cost_per_shipment,
         updated_at = now()
       RETURNING *`,
      [
        command.locationId,
        command.name,
        command.kind,
        command.lat,
        command.lon,
        command.handlingCostPerUnit,
        command.shippingCostPerKm,
        command.fixedCostPerShipment,
      ],
    );
    return {
      locationId: row.id,
      name: row.name,
      kind: row.kind,
      lat: row.lat,
      lon: row.lon,
      handlingCostPerUnit: Number(row.handling_cost_per_unit),
      shippingCostPerKm: row.shipping_cost_per_km,
      fixedCostPerShipment: Number(row.fixed_cost_per_shipment),
    };
  }
}
