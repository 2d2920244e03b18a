import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { PaymentStatus } from '../domain/payment.js';
import type { PaymentPurpose } from '../events/index.js';

/** The statuses live in the domain model (domain/payment.ts); re-exported for the persistence layer's users. */
export { PAYMENT_STATUSES, type PaymentStatus } from '../domain/payment.js';

@Entity('payments_payment')
export class PaymentEntity {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('text')
  purpose!: PaymentPurpose;

  @Column('text', { name: 'reference_id' })
  referenceId!: string;

  /** The citizen or customer who owns the paid reference. */
  @Column('text', { name: 'owner_id' })
  ownerId!: string;

  /** Integer minor units; bigint arrives from pg as a string. */
  @Column('bigint')
  amount!: string;

  @Column('char', { length: 3 })
  currency!: string;

  @Column('text')
  status!: PaymentStatus;

  @Column('text', { name: 'failure_reason', nullable: true })
  failureReason!: string | null;

  @Column('text', { name: 'gateway_ref', nullable: true })
  gatewayRef!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column('timestamptz', { name: 'confirmed_at', nullable: true })
  confirmedAt!: Date | null;

  /** When the provider refunded it (status `refunded`); not part of the API's `Payment`. */
  @Column('timestamptz', { name: 'refunded_at', nullable: true })
  refundedAt!: Date | null;

  /** Why it is refunded (the order closed, a duplicate payment), set when the refund is requested; internal. */
  @Column('text', { name: 'refund_reason', nullable: true })
  refundReason!: string | null;

  /**
   * The provider's reference of the refund (what it answered to the refund request), recorded with
   * `refunded`; not part of the API's `Payment`.
   */
  @Column('text', { name: 'refund_ref', nullable: true })
  refundRef!: string | null;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
