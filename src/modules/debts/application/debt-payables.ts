import { Injectable, type OnModuleInit } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { type Payable, type PayableResolver, Payables } from '../../payments/index.js';
import { DebtRepository } from '../persistence/debt.repository.js';

/** Tells payments what a debt payment may be: up to the outstanding amount, by its citizen. */
@Injectable()
export class DebtPayables implements PayableResolver, OnModuleInit {
  constructor(
    private readonly payables: Payables,
    private readonly debts: DebtRepository,
  ) {}

  onModuleInit(): void {
    this.payables.register('debt', this);
  }

  async resolve(tx: EntityManager, referenceId: string): Promise<Payable | undefined> {
    const debt = await this.debts.findById(tx, referenceId);
    if (!debt) return undefined;
    return {
      ownerId: debt.citizenId,
      currency: debt.currency,
      rule: { kind: 'up-to', max: Number(debt.outstanding) },
      statementReference: debt.reference,
    };
  }
}
