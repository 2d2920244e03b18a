import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { LedgerModule } from '../ledger/index.js';
import { PaymentsModule } from '../payments/index.js';
import { DebtPayables } from './application/debt-payables.js';
import { RegisterDebtHandler } from './application/register-debt.handler.js';
import { DebtsApi } from './debts.api.js';
import { DebtsController } from './http/debts.controller.js';
import { DebtEntity } from './persistence/debt.entity.js';
import { DebtRepository } from './persistence/debt.repository.js';
import { LedgerMatchesDebtsReconciler } from './reconcilers/ledger-matches-debts.reconciler.js';
import { debtsManifest } from './debts.manifest.js';

/** Citizens' debts (fines, fees, taxes): registration, settlement, clearance. */
@Module({
  imports: [TypeOrmModule.forFeature([DebtEntity]), LedgerModule, PaymentsModule],
  controllers: [DebtsController],
  providers: [
    DebtsApi,
    RegisterDebtHandler,
    DebtRepository,
    DebtPayables,
    // Its listeners, from the manifest: adding one touches only its file and debts.manifest.ts.
    ...debtsManifest.listeners,
    LedgerMatchesDebtsReconciler,
  ],
  exports: [DebtsApi],
})
export class DebtsModule {}
