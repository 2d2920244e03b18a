import { Controller, Get, HttpCode, NotFoundException, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiOkResponse, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsIn, IsOptional, Matches } from 'class-validator';
import {
  ApiAuthProblems,
  ApiOkPage,
  ApiProblems,
  decodeCursor,
  type Page,
  PageQuery,
  ProblemException,
  Roles,
  toPage,
  UUID_CURSOR,
} from '../platform/index.js';
import { FindingResponse, RunRequestedResponse, RunResponse } from './reconciliation-admin.response.js';
import { ReconciliationRunner } from './reconciliation-runner.js';
import {
  FINDING_STATUSES,
  type FindingStatus,
  type FindingView,
  ReconciliationStore,
  RUN_STATUSES,
  type RunStatus,
  type RunView,
} from './reconciliation-store.js';

const RECONCILER_NAME = /^[a-z0-9][a-z0-9-]{0,63}$/;

export class RunListQuery extends PageQuery {
  @ApiPropertyOptional() @IsOptional() @Matches(RECONCILER_NAME) reconciler?: string;
  @ApiPropertyOptional({ enum: RUN_STATUSES }) @IsOptional() @IsIn(RUN_STATUSES) status?: RunStatus;
}

export class FindingListQuery extends PageQuery {
  @ApiPropertyOptional() @IsOptional() @Matches(RECONCILER_NAME) reconciler?: string;
  @ApiPropertyOptional({ enum: FINDING_STATUSES }) @IsOptional() @IsIn(FINDING_STATUSES) status?: FindingStatus;
}

/** The id a list cursor carries (lists are ordered by uuid v7 ids, newest first); 400 for any other. */
const before = (cursor: string | undefined): string | undefined => decodeCursor(UUID_CURSOR, cursor);

const page = <T extends { id: string }>(rows: T[], limit: number): Page<T> =>
  toPage(
    rows,
    limit,
    UUID_CURSOR,
    (row) => row.id,
    (row) => row,
  );

/** Reconciliation's admin API (API.md, "Admin"). */
@ApiTags('admin')
@ApiBearerAuth()
@ApiAuthProblems()
@Roles('admin')
@Controller('admin/reconciliation')
export class ReconciliationAdminController {
  constructor(
    private readonly store: ReconciliationStore,
    private readonly runner: ReconciliationRunner,
  ) {}

  /** Runs, newest first. */
  @Get('runs')
  @ApiOkPage(RunResponse)
  @ApiProblems(400)
  async runs(@Query() query: RunListQuery): Promise<Page<RunView>> {
    const rows = await this.store.runs(query, query.limit + 1, before(query.cursor));
    return page(rows, query.limit);
  }

  /** Findings, newest first; `?status=open` lists the exceptions waiting for an admin. */
  @Get('findings')
  @ApiOkPage(FindingResponse)
  @ApiProblems(400)
  async findings(@Query() query: FindingListQuery): Promise<Page<FindingView>> {
    const rows = await this.store.findings(query, query.limit + 1, before(query.cursor));
    return page(rows, query.limit);
  }

  /** Closes an open exception once an admin has dealt with it. */
  @Post('findings/:id/resolve')
  @HttpCode(200)
  @ApiOkResponse({ type: FindingResponse, description: 'Resolved' })
  @ApiProblems(400, [404, 'Unknown finding'], [409, 'The finding is not open'])
  async resolve(@Param('id', new ParseUUIDPipe()) id: string): Promise<FindingView> {
    const resolved = await this.store.resolve(id);
    if (resolved) return resolved;
    if (!(await this.store.finding(id))) throw new NotFoundException(`finding ${id} not found`);
    throw new ProblemException(409, 'finding-not-open', 'Conflict', `Finding ${id} is not open.`);
  }

  /** Runs `name` now (on a scheduler process); the run appears in `/runs` as queued, then running. */
  @Post(':name/run')
  @HttpCode(202)
  @ApiAcceptedResponse({ type: RunRequestedResponse, description: 'Run requested' })
  @ApiProblems([404, 'Unknown reconciler'])
  async run(@Param('name') name: string): Promise<{ runId: string }> {
    if (!this.runner.has(name)) throw new NotFoundException(`reconciler ${name} not found`);
    return { runId: await this.runner.request(name) };
  }
}
