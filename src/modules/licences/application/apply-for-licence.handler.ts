import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { OutboxWriter } from '../../../outbox/index.js';
import { DebtsApi } from '../../debts/index.js';
import { ApplicationBlockedV1, LicenceIssuedV1 } from '../events/index.js';
import type { LicenceApplicationEntity } from '../persistence/licence-application.entity.js';
import { LicenceApplicationRepository } from '../persistence/licence-application.repository.js';
import { type ApplicationView, toApplicationView } from './application.view.js';

export interface ApplyForLicenceCommand {
  citizenId: string;
  activity: string;
  premisesAddress: string;
}

/**
 * A licence application asks debts, in-process and in the same transaction, whether the citizen
 * owes anything: nothing → issued at once; otherwise blocked by the outstanding debts.
 */
@Injectable()
export class ApplyForLicenceHandler {
  constructor(
    private readonly dataSource: DataSource,
    private readonly debts: DebtsApi,
    private readonly outbox: OutboxWriter,
    private readonly applications: LicenceApplicationRepository,
  ) {}

  async execute(command: ApplyForLicenceCommand): Promise<ApplicationView> {
    return this.dataSource.transaction(async (tx) => {
      const id = uuidv7();
      const blocking = (await this.debts.outstandingDebts(command.citizenId, tx)).map((d) => d.id);
      let application: Omit<LicenceApplicationEntity, 'createdAt'>;
      if (blocking.length > 0) {
        application = {
          id,
          ...command,
          status: 'blocked',
          blockingDebtIds: blocking,
          licenceNumber: null,
          issuedAt: null,
        };
      } else {
        const number = await this.applications.nextLicenceNumber(tx);
        application = {
          id,
          ...command,
          status: 'issued',
          blockingDebtIds: [],
          licenceNumber: number,
          issuedAt: new Date(),
        };
      }
      const inserted = await this.applications.insert(tx, application);
      if (application.licenceNumber === null) {
        await this.outbox.append(tx, {
          contract: ApplicationBlockedV1,
          aggregateId: id,
          payload: { applicationId: id, citizenId: command.citizenId, blockingDebtIds: blocking },
        });
      } else {
        await this.outbox.append(tx, {
          contract: LicenceIssuedV1,
          aggregateId: id,
          payload: { applicationId: id, citizenId: command.citizenId, licenceNumber: application.licenceNumber },
        });
      }
      return toApplicationView(inserted);
    });
  }
}
