import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { DebtKind, DebtStatus } from '../domain/debt.js';

@Entity('debts_debt')
export class DebtEntity {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('text', { name: 'citizen_id' })
  citizenId!: string;

  /** The issuer's natural key; unique. */
  @Column('text', { unique: true })
  reference!: string;

  @Column('text')
  kind!: DebtKind;

  /** Integer minor units (bigint arrives as a string). */
  @Column('bigint')
  amount!: string;

  @Column('bigint')
  outstanding!: string;

  @Column('char', { length: 3 })
  currency!: string;

  @Column('text')
  status!: DebtStatus;

  @Column('date', { name: 'due_date', nullable: true })
  dueDate!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column('timestamptz', { name: 'settled_at', nullable: true })
  settledAt!: Date | null;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
