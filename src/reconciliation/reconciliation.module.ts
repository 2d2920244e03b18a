import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { ReconciliationAdminController } from './reconciliation-admin.controller.js';
import { ReconciliationGauges } from './reconciliation-gauges.js';
import { ReconciliationMetrics } from './reconciliation-metrics.js';
import { ReconciliationRunner } from './reconciliation-runner.js';
import { ReconciliationStore } from './reconciliation-store.js';
import { RedriveFindings } from './redrive-findings.js';

/**
 * The reconciler framework (docs/adr/0011-reconciliation.md): finds the `@Reconciler()` providers of
 * every module, schedules them through the outbox's {@link ScheduledTasks}, stores and counts their
 * runs and findings, records the outbox sweeper's re-drives as healed findings, and serves the admin
 * API. It knows no business module.
 */
@Module({
  imports: [DiscoveryModule],
  controllers: [ReconciliationAdminController],
  providers: [ReconciliationStore, ReconciliationMetrics, ReconciliationGauges, ReconciliationRunner, RedriveFindings],
})
export class ReconciliationModule {}
