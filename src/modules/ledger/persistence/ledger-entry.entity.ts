import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** An append-only ledger row; a trigger refuses UPDATE and DELETE. */
@Entity('ledger_entry')
export class LedgerEntryEntity {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('text')
  source!: string;

  @Column('text')
  kind!: string;

  @Column('text')
  account!: string;

  /** Signed, integer minor units; bigint comes back from pg as a string. */
  @Column('bigint')
  amount!: string;

  @Column('char', { length: 3 })
  currency!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
