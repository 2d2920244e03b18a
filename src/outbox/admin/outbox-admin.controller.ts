import { Body, Controller, Get, HttpCode, NotFoundException, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { IsIn, IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';
import { DataSource } from 'typeorm';
import { Roles } from '../../platform/auth/index.js';
import { decodeCursor, encodeCursor, OFFSET_CURSOR, type Page, PageQuery } from '../../platform/http/pagination.js';
import { type DeadLetter, DeadLetters } from '../dead-letters/dead-letters.service.js';
import { type MessageJourney, MessageJourneys } from './message-journeys.js';

export class DeadLetterFilterDto {
  @IsOptional() @IsString() @MaxLength(100) subscriber?: string;
  @IsOptional() @IsString() @MaxLength(200) type?: string;
  @IsOptional() @IsString() @MaxLength(500) error?: string;
}

export class DeadLetterListQuery extends PageQuery {
  @IsOptional() @IsString() @MaxLength(100) subscriber?: string;
  @IsOptional() @IsString() @MaxLength(200) type?: string;
  @IsOptional() @IsString() @MaxLength(500) error?: string;
  @IsOptional() @IsIn(['dead', 'replayed']) status?: 'dead' | 'replayed';
}

export class MessageListQuery extends PageQuery {
  @IsString() @IsNotEmpty() @MaxLength(200) correlationId!: string;
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
@Roles('admin')
@Controller('admin')
export class OutboxAdminController {
  constructor(
    private readonly dataSource: DataSource,
    private readonly deadLetters: DeadLetters,
    private readonly journeys: MessageJourneys,
  ) {}

  @Get('outbox')
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
  async messages(@Query() query: MessageListQuery): Promise<Page<MessageJourney>> {
    const limit = query.limit;
    const offset = decodeCursor(OFFSET_CURSOR, query.cursor) ?? 0;
    return page(await this.journeys.byCorrelationId(query.correlationId, limit + 1, offset), limit, offset);
  }

  /** One event's journey: envelope, each subscriber's delivery, the events its handlers appended. */
  @Get('messages/:eventId')
  async message(@Param('eventId', new ParseUUIDPipe()) eventId: string): Promise<MessageJourney> {
    const journey = await this.journeys.byEventId(eventId);
    if (!journey) throw new NotFoundException(`event ${eventId} not found`);
    return journey;
  }

  @Get('dead-letters')
  async list(@Query() query: DeadLetterListQuery): Promise<Page<DeadLetter>> {
    const { limit, cursor, ...filter } = query;
    const offset = decodeCursor(OFFSET_CURSOR, cursor) ?? 0;
    return page(
      await this.deadLetters.list({ ...filter, status: filter.status ?? 'dead' }, limit + 1, offset),
      limit,
      offset,
    );
  }

  @Post('dead-letters/replay')
  @HttpCode(202)
  async replayMatching(@Body() filter: DeadLetterFilterDto): Promise<{ replayed: number }> {
    return { replayed: await this.deadLetters.replayMatching(filter) };
  }

  @Post('dead-letters/:id/replay')
  @HttpCode(202)
  async replayOne(@Param('id', new ParseUUIDPipe()) id: string): Promise<{ replayed: number }> {
    if (!(await this.deadLetters.get(id))) throw new NotFoundException(`dead letter ${id} not found`);
    return { replayed: await this.deadLetters.replayOne(id) };
  }
}
