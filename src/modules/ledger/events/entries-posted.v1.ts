import { IsArray, IsBoolean, IsString, Length, Matches } from 'class-validator';
import { defineEvent } from '../../../outbox/index.js';

export class EntriesPostedV1Payload {
  /** The posting's source (an event id, `payment-<id>`, `debt-<id>`, `order-<id>`). */
  @IsString() @Length(1, 200) source!: string;
  /** The posting's kind (`debt-registered`, `payment-received`, ...). */
  @IsString() @Length(1, 100) kind!: string;
  @Matches(/^[A-Z]{3}$/) currency!: string;
  /** Citizens whose receivable the posting moved. */
  @IsArray() @IsString({ each: true }) citizenIds!: string[];
  /** Customers whose orders account the posting moved. */
  @IsArray() @IsString({ each: true }) customerIds!: string[];
  /** Whether `citizenIds` is not empty (subscriptions filter on it). */
  @IsBoolean() citizens!: boolean;
  /** Whether `customerIds` is not empty (subscriptions filter on it). */
  @IsBoolean() customers!: boolean;
}

export const EntriesPostedV1 = defineEvent({
  type: 'ledger.entries-posted',
  version: 1,
  owner: 'ledger',
  aggregateType: 'posting',
  description:
    "A posting moved a citizen's receivable or a customer's orders account; the balance projections recompute those subjects.",
  payload: EntriesPostedV1Payload,
});
