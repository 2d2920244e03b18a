import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DebtsModule } from '../debts/index.js';
import { ApplyForLicenceHandler } from './application/apply-for-licence.handler.js';
import { IssueLicences } from './application/issue-licences.js';
import { LicencesController } from './http/licences.controller.js';
import { IssueLicencesWhenCitizenClearedListener } from './listeners/issue-licences-when-citizen-cleared.listener.js';
import { LicenceApplicationEntity } from './persistence/licence-application.entity.js';
import { IssueClearedBlockedApplicationsReconciler } from './reconcilers/issue-cleared-blocked-applications.reconciler.js';

/** Licence applications, blocked while the citizen has outstanding debts. */
@Module({
  imports: [TypeOrmModule.forFeature([LicenceApplicationEntity]), DebtsModule],
  controllers: [LicencesController],
  providers: [
    ApplyForLicenceHandler,
    IssueLicences,
    IssueLicencesWhenCitizenClearedListener,
    IssueClearedBlockedApplicationsReconciler,
  ],
  exports: [IssueLicences],
})
export class LicencesModule {}
