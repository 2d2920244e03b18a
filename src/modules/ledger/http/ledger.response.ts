import { ApiProperty } from '@nestjs/swagger';
import type { RebuildView } from '../projections/projection-rebuilder.js';

/** An exact amount: a JSON integer while that is exact, its decimal digits beyond (`jsonMinorUnits`). */
const EXACT_MINOR_UNITS = {
  oneOf: [{ type: 'integer' }, { type: 'string', pattern: '^-?[0-9]+$' }],
  description: 'integer minor units; a string of digits beyond 2^53 - 1',
};

export class CurrencyBalanceResponse {
  @ApiProperty({ example: 'SAR' }) currency!: string;
  @ApiProperty(EXACT_MINOR_UNITS) paid!: number | string;
  @ApiProperty(EXACT_MINOR_UNITS) refunded!: number | string;
  @ApiProperty(EXACT_MINOR_UNITS) openOrders!: number | string;
}

/** `GET /v1/customers/{customerId}/balance`: one balance per currency. */
export class CustomerBalanceResponse {
  @ApiProperty() customerId!: string;
  @ApiProperty({ type: [CurrencyBalanceResponse] }) balances!: CurrencyBalanceResponse[];
}

export class RebuildProgressResponse {
  @ApiProperty({ type: 'integer' }) done!: number;
  @ApiProperty({ type: 'integer', nullable: true }) total!: number | null;
}

/** {@link RebuildView} for the OpenAPI document. */
export class RebuildResponse implements RebuildView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() projection!: string;
  @ApiProperty({ type: 'integer' }) version!: number;
  @ApiProperty({ enum: ['running', 'succeeded', 'failed'] }) status!: RebuildView['status'];
  @ApiProperty({ type: RebuildProgressResponse }) progress!: RebuildProgressResponse;
  @ApiProperty({ type: 'integer' }) caughtUp!: number;
  @ApiProperty({ type: String, nullable: true }) error!: string | null;
  @ApiProperty() requestedBy!: string;
  @ApiProperty({ format: 'date-time' }) startedAt!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) finishedAt!: string | null;
  @ApiProperty({ type: Number, nullable: true }) durationSeconds!: number | null;
}

/** A projection: the live version, and its latest rebuild's progress. */
export class ProjectionResponse {
  @ApiProperty() name!: string;
  @ApiProperty({ type: 'integer', description: 'the version reads are served from' }) version!: number;
  @ApiProperty({ enum: ['live', 'rebuilding'] }) status!: 'live' | 'rebuilding';
  @ApiProperty({ type: RebuildResponse, nullable: true }) rebuild!: RebuildResponse | null;
}

export class ProjectionListResponse {
  @ApiProperty({ type: [ProjectionResponse] }) items!: ProjectionResponse[];
}

export class RebuildStartedResponse {
  @ApiProperty({ format: 'uuid', description: 'follow it with GET /admin/projections/{name}' }) rebuildId!: string;
}
