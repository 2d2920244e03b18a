import { Column, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

@Entity('fulfilment_sku')
export class SkuEntity {
  @PrimaryColumn('text')
  sku!: string;

  @Column('text')
  name!: string;

  /** Integer minor units (bigint arrives as a string). */
  @Column('bigint', { name: 'unit_price' })
  unitPrice!: string;

  @Column('char', { length: 3 })
  currency!: string;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
