import { Body, Controller, Get, HttpCode, NotFoundException, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiOkResponse,
  ApiProperty,
  ApiPropertyOptional,
  ApiTags,
} from '@nestjs/swagger';
import { IsBoolean, IsIn, IsInt, IsNotEmpty, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { DataSource } from 'typeorm';
import { CurrentPrincipal, type Principal, Roles } from '../platform/auth/index.js';
import { decodeCursor, encodeCursor, OFFSET_CURSOR, type Page, PageQuery } from '../platform/http/pagination.js';
import { ApiAuthProblems, ApiBodyProblems, ApiOkPage, ApiProblems } from '../platform/http/api-docs.js';
import { ValidationProblem } from '../platform/http/problem.js';
import {
  BULK_REPLAY_DEFAULT_LIMIT,
  BULK_REPLAY_MAX_LIMIT,
  type DeadLetter,
  type DeadLetterReplay,
  DeadLetters,
  type MessageJourney,
  MessageJourneys,
} from '../outbox/host.js';
import {
  BulkReplayResponse,
  DeadLetterReplayResponse,
  DeadLetterResponse,
  MessageJourneyResponse,
  OutboxStatsResponse,
  ReplayOneResponse,
} from './outbox-admin.response.js';

/**
 * A bulk replay: a filter, or `all: true` to replay every dead letter (never implied by an empty
 * body), capped by `limit`. An empty filter value would match everything (`error: ""` is a
 * substring of every message), so values must not be empty.
 */
export class BulkReplayDto {
  @ApiPropertyOptional({ minLength: 1, maxLength: 100 })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  subscriber?: string;

  @ApiPropertyOptional({ minLength: 1, maxLength: 200, description: 'event type' })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  type?: string;

  @ApiPropertyOptional({ minLength: 1, maxLength: 500, description: 'substring of the error message or class' })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(500)
  error?: string;

  @ApiPropertyOptional({ description: 'replay every dead letter; required when no filter is given' })
  @IsOptional()
  @IsBoolean()
  all?: boolean;

  @ApiPropertyOptional({ minimum: 1, maximum: BULK_REPLAY_MAX_LIMIT, default: BULK_REPLAY_DEFAULT_LIMIT })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(BULK_REPLAY_MAX_LIMIT)
  limit?: number;
}

export class DeadLetterListQuery extends PageQuery {
  @ApiPropertyOptional({ description: 'subscriber name, exactly' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  subscriber?: string;

  @ApiPropertyOptional({ description: 'event type, exactly' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  type?: string;

  @ApiPropertyOptional({ description: 'the error class, or text the error message contains' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  error?: string;

  @ApiPropertyOptional({ enum: ['dead', 'replayed'] })
  @IsOptional()
  @IsIn(['dead', 'replayed'])
  status?: 'dead' | 'replayed';
}

export class MessageListQuery extends PageQuery {
  @ApiProperty({ description: 'the correlation id a request answered with (X-Correlation-Id)' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  correlationId!: string;
}

/**
 * A page of a list read with one row more than `limit` from `offset`, so the next cursor is known
 * without counting. Its cursor is opaque like every list's, and checked the same way (400 when tampered).
 */
function page<T>(rows: T[], limit: number, offset: number): Page<T> {
  return {
    items: rows.slice(0, limit),
    nextCursor: rows.length > limit ? encodeCursor(OFFSET_CURSOR, offset + limit) : null,
  };
}

/** The outbox's admin API (API.md, "Admin"). */
@ApiTags('admin')
@ApiBearerAuth()
@ApiAuthProblems()
@Roles('admin')
@Controller('admin')
export class OutboxAdminController {
  constructor(
    private readonly dataSource: DataSource,
    private readonly deadLetters: DeadLetters,
    private readonly journeys: MessageJourneys,
  ) {}

  @Get('outbox')
  @ApiOkResponse({ type: OutboxStatsResponse })
  async outbox(): Promise<{
    pending: number;
    oldestPendingAgeSeconds: number;
    deliveriesNotDone: number;
    deadLetters: number;
  }> {
    const [row] = await this.dataSource.query(`
      SELECT (SELECT count(*) FROM outbox_message) AS pending,
             (SELECT coalesce(extract(epoch FROM now() - min(occurred_at)), 0) FROM outbox_message) AS oldest,
             (SELECT count(*) FROM outbox_delivery WHERE state IN ('pending', 'enqueued')) AS not_done,
             (SELECT count(*) FROM outbox_dead_letter WHERE status = 'dead') AS dead`);
    return {
      pending: Number(row.pending),
      oldestPendingAgeSeconds: Math.round(Number(row.oldest)),
      deliveriesNotDone: Number(row.not_done),
      deadLetters: Number(row.dead),
    };
  }

  /** The journeys of one correlation id's events (a request and everything it caused), oldest first. */
  @Get('messages')
  @ApiOkPage(MessageJourneyResponse)
  @ApiProblems(400)
  async messages(@Query() query: MessageListQuery): Promise<Page<MessageJourney>> {
    const limit = query.limit;
    const offset = decodeCursor(OFFSET_CURSOR, query.cursor) ?? 0;
    return page(await this.journeys.byCorrelationId(query.correlationId, limit + 1, offset), limit, offset);
  }

  /** One event's journey: envelope, each subscriber's delivery, the events its handlers appended. */
  @Get('messages/:eventId')
  @ApiOkResponse({ type: MessageJourneyResponse })
  @ApiProblems(400, [404, 'Unknown event'])
  async message(@Param('eventId', new ParseUUIDPipe()) eventId: string): Promise<MessageJourney> {
    const journey = await this.journeys.byEventId(eventId);
    if (!journey) throw new NotFoundException(`event ${eventId} not found`);
    return journey;
  }

  @Get('dead-letters')
  @ApiOkPage(DeadLetterResponse)
  @ApiProblems(400)
  async list(@Query() query: DeadLetterListQuery): Promise<Page<DeadLetter>> {
    const { limit, cursor, ...filter } = query;
    const offset = decodeCursor(OFFSET_CURSOR, cursor) ?? 0;
    return page(
      await this.deadLetters.list({ ...filter, status: filter.status ?? 'dead' }, limit + 1, offset),
      limit,
      offset,
    );
  }

  /**
   * Replays the dead letters matching a filter, or all of them with `{ "all": true }` (400 without
   * either), at most `limit` (default 1,000); answers how many matched and how many were replayed,
   * and records who asked in the audit that `GET /admin/dead-letters/replays` lists.
   */
  @Post('dead-letters/replay')
  @HttpCode(202)
  @ApiAcceptedResponse({ type: BulkReplayResponse, description: 'Replayed' })
  @ApiProblems([400, 'Invalid body, or neither a filter nor "all": true, or both'])
  @ApiBodyProblems()
  async replayMatching(
    @Body() body: BulkReplayDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<{ replayId: string; matched: number; replayed: number }> {
    // `null` counts as absent (IsOptional lets it through): never `LIMIT NULL`, which has no cap.
    const { all: allAsked, limit: limitAsked, ...filter } = body;
    const all = allAsked ?? false;
    const limit = limitAsked ?? BULK_REPLAY_DEFAULT_LIMIT;
    const filtered = Object.values(filter).some((value) => value !== undefined && value !== null);
    if (!filtered && !all) {
      throw new ValidationProblem([
        {
          field: 'all',
          message: 'give a filter (subscriber, type, error), or "all": true to replay every dead letter',
        },
      ]);
    }
    if (filtered && all) {
      throw new ValidationProblem([
        { field: 'all', message: '"all": true replays every dead letter: give no filter with it' },
      ]);
    }
    return this.deadLetters.replayMatching({ filter, all, limit, requestedBy: principal.sub });
  }

  /** The audit of bulk replays, newest first. */
  @Get('dead-letters/replays')
  @ApiOkPage(DeadLetterReplayResponse)
  @ApiProblems(400)
  async replays(@Query() query: PageQuery): Promise<Page<DeadLetterReplay>> {
    const offset = decodeCursor(OFFSET_CURSOR, query.cursor) ?? 0;
    return page(await this.deadLetters.replays(query.limit + 1, offset), query.limit, offset);
  }

  @Post('dead-letters/:id/replay')
  @HttpCode(202)
  @ApiAcceptedResponse({ type: ReplayOneResponse, description: 'Replayed' })
  @ApiProblems(400, [404, 'Unknown dead letter'])
  async replayOne(@Param('id', new ParseUUIDPipe()) id: string): Promise<{ replayed: number }> {
    if (!(await this.deadLetters.get(id))) throw new NotFoundException(`dead letter ${id} not found`);
    return { replayed: await this.deadLetters.replayOne(id) };
  }
}
