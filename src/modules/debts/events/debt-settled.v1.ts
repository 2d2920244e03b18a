import { IsInt, IsString, IsUUID, Min } from 'class-validator';
import { defineEvent } from '../../../outbox/index.js';

export class DebtSettledV1Payload {
  @IsUUID() debtId!: string;
  @IsString() citizenId!: string;
  /** The payment that brought the outstanding amount to zero. */
  @IsUUID() paymentId!: string;
  /** The debt's full amount, in minor units. */
  @IsInt() @Min(1) amount!: number;
}

export const DebtSettledV1 = defineEvent({
  type: 'debts.debt-settled',
  version: 1,
  owner: 'debts',
  aggregateType: 'debt',
  description: "A debt's outstanding amount reached zero.",
  payload: DebtSettledV1Payload,
});
