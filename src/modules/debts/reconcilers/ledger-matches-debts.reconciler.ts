import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../../../config/index.js';
import { exactMinorUnits, jsonMinorUnits } from '../../../platform/index.js';
import { type Finding, Reconciler, type ReconciliationWindow } from '../../../reconciliation/index.js';
import { Accounts, LedgerApi } from '../../ledger/index.js';
import { DebtRepository } from '../persistence/debt.repository.js';

/**
 * Per citizen and currency, the ledger balance of `citizen:<id>:receivable` must equal what the
 * citizen's debts still have outstanding: registering a debt debits the receivable by its amount
 * and every applied payment credits it, in the same transaction as the debt's own change. A
 * mismatch is opened as an exception for an admin, never healed: the ledger is append-only and
 * a correction needs a human decision. The check reads every citizen in one snapshot, so the
 * window only names the run's slot.
 */
@Reconciler()
@Injectable()
export class LedgerMatchesDebtsReconciler implements Reconciler {
  readonly name = 'debts-ledger-matches-debts';
  readonly rulesVersion = 1;
  readonly everyMs: number;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly ledger: LedgerApi,
    private readonly debts: DebtRepository,
  ) {
    this.everyMs = config.reconciliation.intervalMs;
  }

  async check(_window: ReconciliationWindow, tx: EntityManager): Promise<Finding[]> {
    const owed = await this.debts.outstandingByCitizenAndCurrency(tx);
    // Compared exactly (bigint): sums past 2^53 would compare equal as numbers while they differ.
    const balances = new Map<string, { citizenId: string; currency: string; ledger: bigint; debts: bigint }>();
    const entry = (citizenId: string, currency: string) => {
      const key = JSON.stringify([citizenId, currency]);
      let found = balances.get(key);
      if (!found) balances.set(key, (found = { citizenId, currency, ledger: 0n, debts: 0n }));
      return found;
    };
    for (const row of owed) entry(row.citizen_id, row.currency).debts = exactMinorUnits(row.outstanding);
    for (const row of await this.ledger.citizenReceivableBalances(tx)) {
      entry(row.citizenId, row.currency).ledger = row.balance;
    }

    return [...balances.values()]
      .filter((b) => b.ledger !== b.debts)
      .sort((a, b) => (a.citizenId + a.currency < b.citizenId + b.currency ? -1 : 1))
      .map((b) => ({
        subject: `citizen:${b.citizenId}:${b.currency}`,
        description:
          `ledger ${Accounts.citizenReceivable(b.citizenId)} is ${b.ledger} ${b.currency}, ` +
          `but the citizen's debts have ${b.debts} outstanding`,
        details: {
          citizenId: b.citizenId,
          currency: b.currency,
          account: Accounts.citizenReceivable(b.citizenId),
          ledgerBalance: jsonMinorUnits(b.ledger),
          debtsOutstanding: jsonMinorUnits(b.debts),
          difference: jsonMinorUnits(b.ledger - b.debts),
        },
      }));
  }
}
