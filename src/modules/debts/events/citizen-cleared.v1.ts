import { IsString } from 'class-validator';
import { defineEvent } from '../../../outbox/index.js';

export class CitizenClearedV1Payload {
  @IsString() citizenId!: string;
}

export const CitizenClearedV1 = defineEvent({
  type: 'debts.citizen-cleared',
  version: 1,
  owner: 'debts',
  aggregateType: 'citizen',
  description: "A citizen's last outstanding debt was settled: they owe nothing.",
  payload: CitizenClearedV1Payload,
});
