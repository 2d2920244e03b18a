import { ApiProperty } from '@nestjs/swagger';
import type { ApplicationView } from '../application/application.view.js';
import type { ApplicationStatus } from '../persistence/licence-application.entity.js';

const APPLICATION_STATUSES: readonly ApplicationStatus[] = ['blocked', 'issued'];

/** {@link ApplicationView} for the OpenAPI document (API.md, `Application`). */
export class ApplicationResponse implements ApplicationView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() citizenId!: string;
  @ApiProperty() activity!: string;
  @ApiProperty() premisesAddress!: string;
  @ApiProperty({ enum: APPLICATION_STATUSES }) status!: ApplicationStatus;
  @ApiProperty({ type: [String], description: 'the debts that block the licence' }) blockingDebtIds!: string[];
  @ApiProperty({ type: String, nullable: true }) licenceNumber!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) issuedAt!: string | null;
}
