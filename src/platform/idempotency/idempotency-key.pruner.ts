import { Injectable } from '@nestjs/common';
import { Pruner } from '../pruning/index.js';
import { IdempotencyService } from './idempotency.service.js';

/**
 * Deletes idempotency keys past their `expires_at` (`IDEMPOTENCY_TTL_HOURS` after they were
 * taken): an expired key is new again (API.md, "Idempotency-Key"), so its row only takes space.
 */
@Pruner()
@Injectable()
export class IdempotencyKeyPruner implements Pruner {
  readonly name = 'idempotency-keys';

  constructor(private readonly idempotency: IdempotencyService) {}

  pruneBatch(limit: number): Promise<number> {
    return this.idempotency.pruneExpired(limit);
  }
}
