import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { type Envelope, type EventHandler, HandlesEvents, subscribe } from '../../../outbox/index.js';
import { EntriesPostedV1, type EntriesPostedV1Payload } from '../events/index.js';
import { citizenBalances } from '../projections/balance-projections.js';
import { ProjectionStore } from '../projections/projection-store.js';

export const projectCitizenBalancesSubscription = subscribe(EntriesPostedV1, {
  name: 'ledger.project-citizen-balances',
  module: 'ledger',
  filter: { citizens: true },
  lane: 'default',
  retry: { attempts: 10, backoffMs: 500 },
});

/**
 * Recomputes the citizens a posting moved in the `citizen-balances` projection. A recompute reads
 * the whole subject from the ledger under its lock, so a redelivered, late or reordered event
 * still leaves the row equal to the ledger.
 */
@Injectable()
@HandlesEvents(projectCitizenBalancesSubscription)
export class ProjectCitizenBalancesListener implements EventHandler<EntriesPostedV1Payload> {
  constructor(private readonly store: ProjectionStore) {}

  handle(event: Envelope<EntriesPostedV1Payload>, tx: EntityManager): Promise<void> {
    return this.store.refresh(tx, citizenBalances, event.payload.citizenIds);
  }
}
