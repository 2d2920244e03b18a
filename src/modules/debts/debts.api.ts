import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { DebtRepository } from './persistence/debt.repository.js';

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
  constructor(
    private readonly dataSource: DataSource,
    private readonly debts: DebtRepository,
  ) {}

  /** The citizen's outstanding debts, oldest first; empty when the citizen owes nothing. */
  async outstandingDebts(citizenId: string, tx: EntityManager = this.dataSource.manager): Promise<OutstandingDebt[]> {
    const debts = await this.debts.outstandingOfCitizen(tx, citizenId);
    return debts.map((d) => ({ id: d.id, outstanding: Number(d.outstanding), currency: d.currency }));
  }

  /** Which of `citizenIds` owe anything now (one query for many citizens, for sweeps). */
  async citizensOwing(
    citizenIds: readonly string[],
    tx: EntityManager = this.dataSource.manager,
  ): Promise<Set<string>> {
    if (citizenIds.length === 0) return new Set();
    const rows = await this.debts.citizensOwing(tx, citizenIds);
    return new Set(rows.map((row) => row.citizen_id));
  }
}
