import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { type Envelope, type EventHandler, HandlesEvents, subscribe } from '../../../outbox/index.js';
import { EntriesPostedV1, type EntriesPostedV1Payload } from '../events/index.js';
import { customerBalances } from '../projections/balance-projections.js';
import { ProjectionStore } from '../projections/projection-store.js';

export const projectCustomerBalancesSubscription = subscribe(EntriesPostedV1, {
  name: 'ledger.project-customer-balances',
  module: 'ledger',
  filter: { customers: true },
  lane: 'default',
  retry: { attempts: 10, backoffMs: 500 },
});

/** Recomputes the customers a posting moved in the `customer-balances` projection. */
@Injectable()
@HandlesEvents(projectCustomerBalancesSubscription)
export class ProjectCustomerBalancesListener implements EventHandler<EntriesPostedV1Payload> {
  constructor(private readonly store: ProjectionStore) {}

  handle(event: Envelope<EntriesPostedV1Payload>, tx: EntityManager): Promise<void> {
    return this.store.refresh(tx, customerBalances, event.payload.customerIds);
  }
}
