import { IsInt, IsString, IsUUID, Min } from 'class-validator';
import { defineEvent } from '../../../outbox/index.js';
import { IsCurrencyCode } from '../../../platform/index.js';

export class DebtRegisteredV1Payload {
  @IsUUID() debtId!: string;
  @IsString() citizenId!: string;
  @IsString() reference!: string;
  @IsInt() @Min(1) amount!: number;
  @IsCurrencyCode() currency!: string;
}

export const DebtRegisteredV1 = defineEvent({
  type: 'debts.debt-registered',
  version: 1,
  owner: 'debts',
  aggregateType: 'debt',
  description: 'An issuer registered a debt (fine, fee, tax) owed by a citizen.',
  payload: DebtRegisteredV1Payload,
});
