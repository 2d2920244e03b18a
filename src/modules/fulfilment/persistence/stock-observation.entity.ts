import { Column, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** The newest scanner observation per bucket; `drift` is observed minus on-hand when it was recorded. */
@Entity('fulfilment_stock_observation')
export class StockObservationEntity {
  @PrimaryColumn('text', { name: 'location_id' })
  locationId!: string;

  @PrimaryColumn('text')
  sku!: string;

  @Column('int', { name: 'observed_on_hand' })
  observedOnHand!: number;

  @Column('timestamptz', { name: 'observed_at' })
  observedAt!: Date;

  /** Null when the bucket had no stock record at the time. */
  @Column('int', { nullable: true })
  drift!: number | null;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
