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

  /** Which of `citizenIds` owe anything now (one query for many citizens, for sweeps). */
  async citizensOwing(
    citizenIds: readonly string[],
    tx: EntityManager = this.dataSource.manager,
  ): Promise<Set<string>> {
    if (citizenIds.length === 0) return new Set();
    const rows: Array<{ citizen_id: string }> = await tx.query(
      `SELECT DISTINCT citizen_id FROM debts_debt WHERE citizen_id = ANY($1::text[]) AND status = 'outstanding'`,
      [citizenIds],
    );
    return new Set(rows.map((row) => row.citizen_id));
  }
}
