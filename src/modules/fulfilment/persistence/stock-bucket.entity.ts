import { Column, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/**
 * One (location, sku) bucket. Written with conditional SQL only: the CHECK
 * `reserved >= 0 AND on_hand >= 0 AND reserved <= on_hand` is the guarantee, not this class.
 */
@Entity('fulfilment_stock')
export class StockBucketEntity {
  @PrimaryColumn('text', { name: 'location_id' })
  locationId!: string;

  @PrimaryColumn('text')
  sku!: string;

  @Column('int', { name: 'on_hand' })
  onHand!: number;

  @Column('int')
  reserved!: number;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
