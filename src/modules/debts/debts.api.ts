import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { DebtEntity } from './persistence/debt.entity.js';

/** A debt that blocks something, as other modules need to know it. */
export interface OutstandingDebt {
  id: string;
  outstanding: number;
  currency: string;
}

/**
 * The debts module's in-process queries for other modules: strongly consistent reads of the
 * same database (SPEC.md, flow 2). Pass `tx` to read inside the caller's transaction.
 */
@Injectable()
export class DebtsApi {
  constructor(private readonly dataSource: DataSource) {}

  /** The citizen's outstanding debts, oldest first; empty when the citizen owes nothing. */
  async outstandingDebts(citizenId: string, tx: EntityManager = this.dataSource.manager): Promise<OutstandingDebt[]> {
    const debts = await tx.getRepository(DebtEntity).find({
      where: { citizenId, status: 'outstanding' },
      order: { id: 'ASC' },
    });
    return debts.map((d) => ({ id: d.id, outstanding: Number(d.outstanding), currency: d.currency }));
  }
}
