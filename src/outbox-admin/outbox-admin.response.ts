import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type {
  CausedEvent,
  DeadLetter,
  DeadLetterReason,
  DeadLetterReplay,
  Envelope,
  JourneyDelivery,
  MessageJourney,
} from '../outbox/host.js';

/** The outbox admin API's answers as the OpenAPI document describes them (API.md, "Admin"). */
export class OutboxStatsResponse {
  @ApiProperty({ type: 'integer', description: 'events not yet relayed' }) pending!: number;
  @ApiProperty({ type: 'integer' }) oldestPendingAgeSeconds!: number;
  @ApiProperty({ type: 'integer' }) deliveriesNotDone!: number;
  @ApiProperty({ type: 'integer', description: 'dead letters not replayed' }) deadLetters!: number;
}

export class EnvelopeResponse implements Envelope {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: 'payments.payment-confirmed' }) type!: string;
  @ApiProperty({ type: 'integer' }) version!: number;
  @ApiProperty() aggregateType!: string;
  @ApiProperty() aggregateId!: string;
  @ApiProperty({ type: 'integer' }) aggregateSeq!: number;
  @ApiProperty({ format: 'date-time' }) occurredAt!: string;
  @ApiProperty() correlationId!: string;
  @ApiProperty({ type: String, nullable: true }) causationId!: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true, description: "the event type's payload" })
  payload!: unknown;
  @ApiPropertyOptional({ description: 'W3C trace context, while tracing is on' }) traceparent?: string;
}

export class JourneyDeadLetterResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() reason!: string;
  @ApiProperty({ enum: ['dead', 'replayed'] }) status!: 'dead' | 'replayed';
  @ApiProperty({ type: 'integer' }) replayCount!: number;
}

export class JourneyDeliveryResponse implements JourneyDelivery {
  @ApiProperty() subscriber!: string;
  @ApiProperty() lane!: string;
  @ApiProperty({ enum: ['pending', 'enqueued', 'handled', 'dead'] }) state!: JourneyDelivery['state'];
  @ApiProperty({ type: 'integer' }) attempts!: number;
  @ApiProperty({ type: 'integer' }) redrives!: number;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) enqueuedAt!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) handledAt!: string | null;
  @ApiProperty({ type: String, nullable: true }) lastError!: string | null;
  @ApiProperty({ type: JourneyDeadLetterResponse, nullable: true }) deadLetter!: JourneyDeadLetterResponse | null;
}

export class CausedEventResponse implements CausedEvent {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() type!: string;
  @ApiProperty({ type: 'integer' }) version!: number;
  @ApiProperty({ format: 'date-time' }) occurredAt!: string;
}

/** An event's journey: envelope, per-subscriber delivery, caused events. */
export class MessageJourneyResponse implements MessageJourney {
  @ApiProperty({ type: EnvelopeResponse }) envelope!: EnvelopeResponse;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'null while still in the outbox' })
  relayedAt!: string | null;
  @ApiProperty({ type: [JourneyDeliveryResponse] }) deliveries!: JourneyDeliveryResponse[];
  @ApiProperty({ type: [CausedEventResponse] }) causedEvents!: CausedEventResponse[];
}

const DEAD_LETTER_REASONS: readonly DeadLetterReason[] = ['exhausted', 'non-retryable', 'sequence-gap', 'forged'];

export class DeadLetterResponse implements DeadLetter {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) eventId!: string;
  @ApiProperty() subscriber!: string;
  @ApiProperty() type!: string;
  @ApiProperty({ type: EnvelopeResponse }) envelope!: EnvelopeResponse;
  @ApiProperty({ enum: DEAD_LETTER_REASONS }) reason!: DeadLetterReason;
  @ApiProperty() errorClass!: string;
  @ApiProperty() errorMessage!: string;
  @ApiProperty({ type: 'integer' }) attempts!: number;
  @ApiProperty({ format: 'date-time' }) firstFailedAt!: string;
  @ApiProperty({ format: 'date-time' }) lastFailedAt!: string;
  @ApiProperty({ enum: ['dead', 'replayed'] }) status!: 'dead' | 'replayed';
  @ApiProperty({ type: 'integer' }) replayCount!: number;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) replayedAt!: string | null;
}

export class DeadLetterFilterResponse {
  @ApiPropertyOptional() subscriber?: string;
  @ApiPropertyOptional() type?: string;
  @ApiPropertyOptional() error?: string;
}

/** One bulk replay in the audit. */
export class DeadLetterReplayResponse implements DeadLetterReplay {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ description: "the admin's subject" }) requestedBy!: string;
  @ApiProperty({ format: 'date-time' }) requestedAt!: string;
  @ApiProperty({ type: DeadLetterFilterResponse }) filter!: DeadLetterFilterResponse;
  @ApiProperty() all!: boolean;
  @ApiProperty({ type: 'integer' }) limit!: number;
  @ApiProperty({ type: 'integer' }) matched!: number;
  @ApiProperty({ type: 'integer' }) replayed!: number;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) finishedAt!: string | null;
}

export class BulkReplayResponse {
  @ApiProperty({ format: 'uuid', description: 'the audit entry, in GET /admin/dead-letters/replays' })
  replayId!: string;
  @ApiProperty({ type: 'integer', description: 'dead letters matching when the replay started' }) matched!: number;
  @ApiProperty({ type: 'integer', description: 'of those, replayed (at most limit)' }) replayed!: number;
}

export class ReplayOneResponse {
  @ApiProperty({ type: 'integer', description: '1, or 0 when it was replayed already' }) replayed!: number;
}
