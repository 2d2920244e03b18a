import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { BalancesController } from './http/balances.controller.js';
import { ProjectionsAdminController } from './http/projections-admin.controller.js';
import { LedgerApi } from './ledger.api.js';
import { LedgerEntryEntity } from './persistence/ledger-entry.entity.js';
import { ProjectionMetrics } from './projections/projection-metrics.js';
import { ProjectionRebuilder } from './projections/projection-rebuilder.js';
import { ProjectionStore } from './projections/projection-store.js';
import { ProjectionsMatchLedgerReconciler } from './reconcilers/projections-match-ledger.reconciler.js';
import { ledgerManifest } from './ledger.manifest.js';

/**
 * The double-entry ledger: balanced, append-only postings in integer minor units, and the balance
 * projections derived from it (per citizen, per customer), rebuildable at any time.
 */
@Module({
  imports: [TypeOrmModule.forFeature([LedgerEntryEntity])],
  controllers: [ProjectionsAdminController, BalancesController],
  providers: [
    LedgerApi,
    ProjectionStore,
    ProjectionMetrics,
    ProjectionRebuilder,
    // Its listeners, from the manifest: adding one touches only its file and ledger.manifest.ts.
    ...ledgerManifest.listeners,
    ProjectionsMatchLedgerReconciler,
  ],
  exports: [LedgerApi],
})
export class LedgerModule {}
