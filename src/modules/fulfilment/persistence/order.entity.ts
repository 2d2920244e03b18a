import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { OrderLine, OrderPaymentStatus, OrderStatus } from '../domain/order/order.js';
import type { Allocation } from '../domain/routing/index.js';

/**
 * An order. Transitions are written with conditional SQL (compare-and-set on `status` under the
 * row lock) in the application layer; the CHECKs in the migration keep every row coherent.
 */
@Entity('fulfilment_order')
export class OrderEntity {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('text', { name: 'customer_id' })
  customerId!: string;

  @Column('jsonb')
  lines!: OrderLine[];

  /** Integer minor units; bigint arrives from pg as a string. */
  @Column('bigint')
  total!: string;

  @Column('char', { length: 3 })
  currency!: string;

  @Column('double precision', { name: 'ship_to_lat' })
  shipToLat!: number;

  @Column('double precision', { name: 'ship_to_lon' })
  shipToLon!: number;

  @Column('text')
  status!: OrderStatus;

  @Column('text', { name: 'payment_status' })
  paymentStatus!: OrderPaymentStatus;

  @Column('uuid', { name: 'payment_id', nullable: true })
  paymentId!: string | null;

  @Column('jsonb')
  allocations!: Allocation[];

  @Column('bigint', { name: 'routing_cost', nullable: true })
  routingCost!: string | null;

  @Column('text', { name: 'routing_solver', nullable: true })
  routingSolver!: 'milp' | 'greedy' | null;

  @Column('double precision', { name: 'routing_solver_ms', nullable: true })
  routingSolverMs!: number | null;

  @Column('text', { name: 'rejection_reason', nullable: true })
  rejectionReason!: string | null;

  @Column('text', { name: 'cancellation_reason', nullable: true })
  cancellationReason!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column('timestamptz', { name: 'reserved_at', nullable: true })
  reservedAt!: Date | null;

  @Column('timestamptz', { name: 'shipped_at', nullable: true })
  shippedAt!: Date | null;

  /** When the order was rejected or cancelled. */
  @Column('timestamptz', { name: 'closed_at', nullable: true })
  closedAt!: Date | null;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
