import { Injectable, type OnModuleInit } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { type Payable, type PayableResolver, Payables } from '../../payments/index.js';
import { DebtEntity } from '../persistence/debt.entity.js';

/** Tells payments what a debt payment may be: up to the outstanding amount, by its citizen. */
@Injectable()
export class DebtPayables implements PayableResolver, OnModuleInit {
  constructor(private readonly payables: Payables) {}

  onModuleInit(): void {
    this.payables.register('debt', this);
  }

  async resolve(tx: EntityManager, referenceId: string): Promise<Payable | undefined> {
    const debt = await tx.getRepository(DebtEntity).findOneBy({ id: referenceId });
    if (!debt) return undefined;
    return {
      ownerId: debt.citizenId,
      currency: debt.currency,
      rule: { kind: 'up-to', max: Number(debt.outstanding) },
      statementReference: debt.reference,
    };
  }
}
