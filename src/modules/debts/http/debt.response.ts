import { ApiProperty } from '@nestjs/swagger';
import type { DebtView } from '../application/debt.view.js';
import { DEBT_KINDS, type DebtKind, type DebtStatus } from '../domain/debt.js';

const DEBT_STATUSES: readonly DebtStatus[] = ['outstanding', 'settled'];

/** {@link DebtView} for the OpenAPI document (API.md, `Debt`). */
export class DebtResponse implements DebtView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() citizenId!: string;
  @ApiProperty({ description: "the issuer's natural key" }) reference!: string;
  @ApiProperty({ enum: DEBT_KINDS }) kind!: DebtKind;
  @ApiProperty({ type: 'integer', description: 'integer minor units' }) amount!: number;
  @ApiProperty({ type: 'integer', description: 'integer minor units' }) outstanding!: number;
  @ApiProperty({ example: 'SAR' }) currency!: string;
  @ApiProperty({ enum: DEBT_STATUSES }) status!: DebtStatus;
  @ApiProperty({ type: String, format: 'date', nullable: true }) dueDate!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) settledAt!: string | null;
}
