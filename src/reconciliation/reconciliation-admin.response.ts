import { ApiProperty } from '@nestjs/swagger';
import {
  FINDING_STATUSES,
  type FindingStatus,
  type FindingView,
  RUN_STATUSES,
  RUN_TRIGGERS,
  type RunStatus,
  type RunTrigger,
  type RunView,
} from './reconciliation-store.js';

/** {@link RunView} for the OpenAPI document. */
export class RunResponse implements RunView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() reconciler!: string;
  @ApiProperty({ type: 'integer' }) rulesVersion!: number;
  @ApiProperty({ enum: RUN_TRIGGERS }) trigger!: RunTrigger;
  @ApiProperty({ enum: RUN_STATUSES }) status!: RunStatus;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) windowFrom!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) windowTo!: string | null;
  @ApiProperty({ type: 'integer' }) findings!: number;
  @ApiProperty({ type: 'integer' }) healed!: number;
  @ApiProperty({ type: 'integer' }) exceptions!: number;
  @ApiProperty({ type: String, nullable: true }) error!: string | null;
  @ApiProperty() correlationId!: string;
  @ApiProperty({ format: 'date-time' }) requestedAt!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) startedAt!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) finishedAt!: string | null;
}

/** {@link FindingView} for the OpenAPI document. */
export class FindingResponse implements FindingView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() key!: string;
  @ApiProperty() reconciler!: string;
  @ApiProperty() subject!: string;
  @ApiProperty({ format: 'date-time' }) windowFrom!: string;
  @ApiProperty({ format: 'date-time' }) windowTo!: string;
  @ApiProperty({ type: 'integer' }) rulesVersion!: number;
  @ApiProperty({ enum: FINDING_STATUSES }) status!: FindingStatus;
  @ApiProperty() description!: string;
  @ApiProperty({ type: 'object', additionalProperties: true }) details!: Record<string, unknown>;
  @ApiProperty({ type: String, nullable: true }) healError!: string | null;
  @ApiProperty({ format: 'uuid' }) firstRunId!: string;
  @ApiProperty({ format: 'uuid' }) lastSeenRunId!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) healedAt!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) resolvedAt!: string | null;
}

export class RunRequestedResponse {
  @ApiProperty({ format: 'uuid', description: 'the run, listed in /admin/reconciliation/runs' }) runId!: string;
}
