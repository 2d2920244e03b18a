import { Column, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { LocationKind } from '../domain/stock/stock.js';

@Entity('fulfilment_location')
export class LocationEntity {
  @PrimaryColumn('text')
  id!: string;

  @Column('text')
  name!: string;

  @Column('text')
  kind!: LocationKind;

  @Column('double precision')
  lat!: number;

  @Column('double precision')
  lon!: number;

  /** Integer minor units per unit picked (bigint arrives as a string). */
  @Column('bigint', { name: 'handling_cost_per_unit' })
  handlingCostPerUnit!: string;

  /** Minor units per km; may be fractional. */
  @Column('double precision', { name: 'shipping_cost_per_km' })
  shippingCostPerKm!: number;

  @Column('bigint', { name: 'fixed_cost_per_shipment' })
  fixedCostPerShipment!: string;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
