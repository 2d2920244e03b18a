import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DebtsModule } from '../debts/index.js';
import { ApplyForLicenceHandler } from './application/apply-for-licence.handler.js';
import { IssueLicences } from './application/issue-licences.js';
import { LicencesController } from './http/licences.controller.js';
import { LicenceApplicationEntity } from './persistence/licence-application.entity.js';
import { IssueClearedBlockedApplicationsReconciler } from './reconcilers/issue-cleared-blocked-applications.reconciler.js';
import { licencesManifest } from './licences.manifest.js';
import { LicenceApplicationRepository } from './persistence/licence-application.repository.js';

/** Licence applications, blocked while the citizen has outstanding debts. */
@Module({
  imports: [TypeOrmModule.forFeature([LicenceApplicationEntity]), DebtsModule],
  controllers: [LicencesController],
  providers: [
    ApplyForLicenceHandler,
    IssueLicences,
    LicenceApplicationRepository,
    // Its listeners, from the manifest: adding one touches only its file and licences.manifest.ts.
    ...licencesManifest.listeners,
    IssueClearedBlockedApplicationsReconciler,
  ],
  exports: [IssueLicences],
})
export class LicencesModule {}
