import { IsArray, IsString, IsUUID } from 'class-validator';
import { defineEvent } from '../../../outbox/index.js';

export class ApplicationBlockedV1Payload {
  @IsUUID() applicationId!: string;
  @IsString() citizenId!: string;
  @IsArray() @IsUUID('all', { each: true }) blockingDebtIds!: string[];
}

export const ApplicationBlockedV1 = defineEvent({
  type: 'licences.application-blocked',
  version: 1,
  owner: 'licences',
  aggregateType: 'licence-application',
  description: 'A licence application waits for the citizen to settle outstanding debts.',
  payload: ApplicationBlockedV1Payload,
});
