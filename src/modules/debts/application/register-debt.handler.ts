import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { OutboxWriter } from '../../../outbox/index.js';
import { ProblemException } from '../../../platform/index.js';
import { Accounts, LedgerApi } from '../../ledger/index.js';
import { type DebtKind, sameTerms } from '../domain/debt.js';
import { DebtRegisteredV1 } from '../events/index.js';
import { DebtRepository } from '../persistence/debt.repository.js';
import { type DebtView, toDebtView } from './debt.view.js';

export interface RegisterDebtCommand {
  citizenId: string;
  reference: string;
  kind: DebtKind;
  amount: number;
  currency: string;
  dueDate: string | null;
}

/**
 * Registers a debt once per issuer reference: the same reference with the same terms returns the
 * existing debt; with other terms it is a conflict. The debt, its ledger posting and
 * `debts.debt-registered` commit together.
 */
@Injectable()
export class RegisterDebtHandler {
  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: OutboxWriter,
    private readonly ledger: LedgerApi,
    private readonly debts: DebtRepository,
  ) {}

  async execute(command: RegisterDebtCommand): Promise<{ debt: DebtView; created: boolean }> {
    return this.dataSource.transaction(async (tx) => {
      const id = uuidv7();
      // What PostgreSQL fills in or normalises comes back with the insert: a new debt is not re-read.
      const row = await this.debts.insertIfNew(tx, { id, ...command });
      if (row === undefined) {
        const view = toDebtView(await this.debts.findByReference(tx, command.reference));
        if (!sameTerms(view, command)) {
          throw new ProblemException(
            409,
            'debt-reference-conflict',
            'Conflict',
            `Debt reference ${command.reference} is already registered with other terms.`,
          );
        }
        return { debt: view, created: false };
      }
      const view = toDebtView({
        id,
        citizenId: command.citizenId,
        reference: command.reference,
        kind: command.kind,
        amount: String(command.amount),
        outstanding: String(command.amount),
        currency: row.currency,
        status: 'outstanding',
        dueDate: row.due_date,
        createdAt: row.created_at,
        settledAt: null,
        updatedAt: row.created_at,
      });
      await this.ledger.post(tx, {
        source: `debt-${id}`,
        kind: 'debt-registered',
        currency: command.currency,
        legs: [
          { account: Accounts.citizenReceivable(command.citizenId), amount: command.amount },
          { account: Accounts.revenue(command.kind), amount: -command.amount },
        ],
      });
      await this.outbox.append(tx, {
        contract: DebtRegisteredV1,
        aggregateId: id,
        payload: {
          debtId: id,
          citizenId: command.citizenId,
          reference: command.reference,
          amount: command.amount,
          currency: command.currency,
        },
      });
      return { debt: view, created: true };
    });
  }
}
