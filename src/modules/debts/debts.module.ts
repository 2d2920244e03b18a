import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { LedgerModule } from '../ledger/index.js';
import { PaymentsModule } from '../payments/index.js';
import { DebtPayables } from './application/debt-payables.js';
import { RegisterDebtHandler } from './application/register-debt.handler.js';
import { DebtsApi } from './debts.api.js';
import { DebtsController } from './http/debts.controller.js';
import { SettleDebtWhenPaymentConfirmedListener } from './listeners/settle-debt-when-payment-confirmed.listener.js';
import { DebtEntity } from './persistence/debt.entity.js';
import { LedgerMatchesDebtsReconciler } from './reconcilers/ledger-matches-debts.reconciler.js';

/** Citizens' debts (fines, fees, taxes): registration, settlement, clearance. */
@Module({
  imports: [TypeOrmModule.forFeature([DebtEntity]), LedgerModule, PaymentsModule],
  controllers: [DebtsController],
  providers: [
    DebtsApi,
    RegisterDebtHandler,
    DebtPayables,
    SettleDebtWhenPaymentConfirmedListener,
    LedgerMatchesDebtsReconciler,
  ],
  exports: [DebtsApi],
})
export class DebtsModule {}
