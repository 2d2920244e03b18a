import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

export type ApplicationStatus = 'blocked' | 'issued';

@Entity('licences_application')
export class LicenceApplicationEntity {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('text', { name: 'citizen_id' })
  citizenId!: string;

  @Column('text')
  activity!: string;

  @Column('text', { name: 'premises_address' })
  premisesAddress!: string;

  @Column('text')
  status!: ApplicationStatus;

  @Column('uuid', { name: 'blocking_debt_ids', array: true })
  blockingDebtIds!: string[];

  @Column('text', { name: 'licence_number', nullable: true })
  licenceNumber!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column('timestamptz', { name: 'issued_at', nullable: true })
  issuedAt!: Date | null;
}
