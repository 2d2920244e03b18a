import { IsString, IsUUID } from 'class-validator';
import { defineEvent } from '../../../outbox/index.js';

export class LicenceIssuedV1Payload {
  @IsUUID() applicationId!: string;
  @IsString() citizenId!: string;
  @IsString() licenceNumber!: string;
}

export const LicenceIssuedV1 = defineEvent({
  type: 'licences.licence-issued',
  version: 1,
  owner: 'licences',
  aggregateType: 'licence-application',
  description: 'A licence was issued (at once, or when the citizen was cleared).',
  payload: LicenceIssuedV1Payload,
});
