import { defineModule } from '../../outbox/index.js';
import { CitizenClearedV1, DebtRegisteredV1, DebtSettledV1 } from './events/index.js';
import { SettleDebtWhenPaymentConfirmedListener } from './listeners/settle-debt-when-payment-confirmed.listener.js';

/** What the debts module publishes and hears (docs/modules.md is generated from it). */
export const debtsManifest = defineModule({
  name: 'debts',
  summary: "Citizens' debts (fines, fees, taxes): registration, settlement, clearance.",
  facade: ['DebtsApi'],
  publishes: [DebtRegisteredV1, DebtSettledV1, CitizenClearedV1],
  listeners: [SettleDebtWhenPaymentConfirmedListener],
});
