import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { type Envelope, type EventHandler, HandlesEvents, subscribe } from '../../../outbox/index.js';
import { CitizenClearedV1, type CitizenClearedV1Payload } from '../../debts/index.js';
import { IssueLicences } from '../application/issue-licences.js';

export const issueLicencesSubscription = subscribe(CitizenClearedV1, {
  name: 'licences.issue-licences-when-citizen-cleared',
  module: 'licences',
  lane: 'critical',
  retry: { attempts: 10, backoffMs: 1000 },
});

/** A cleared citizen's blocked applications are issued, exactly once each. */
@Injectable()
@HandlesEvents(issueLicencesSubscription)
export class IssueLicencesWhenCitizenClearedListener implements EventHandler<CitizenClearedV1Payload> {
  constructor(private readonly issue: IssueLicences) {}

  async handle(event: Envelope<CitizenClearedV1Payload>, tx: EntityManager): Promise<void> {
    await this.issue.forClearedCitizen(tx, event.payload.citizenId);
  }
}
