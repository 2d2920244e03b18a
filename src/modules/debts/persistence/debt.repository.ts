import { Injectable } from '@nestjs/common';
import { type EntityManager, MoreThan } from 'typeorm';
import { DebtEntity } from './debt.entity.js';

/** What a new debt is registered with. */
export interface NewDebt {
  id: string;
  citizenId: string;
  reference: string;
  kind: string;
  amount: number;
  currency: string;
  dueDate: string | null;
}

/**
 * The debt aggregate's one home: every statement in src/ that touches `debts_debt`, read or write
 * (test/architecture/aggregate-homes.e2e-spec.ts fails on a statement anywhere else), including the
 * reads the facade, the controller, payables and the ledger reconciler make. Registration is
 * idempotent by reference; a payment moves `outstanding` down and, at zero, `status` to `settled`,
 * under the citizen's lock.
 */
@Injectable()
export class DebtRepository {
  /**
   * Inserts the debt unless its reference is registered already. Returns what PostgreSQL filled in
   * or normalised (a new debt is not re-read), or undefined when the reference existed.
   */
  async insertIfNew(
    tx: EntityManager,
    debt: NewDebt,
  ): Promise<{ created_at: Date; due_date: string | null; currency: string } | undefined> {
    const inserted: Array<{ created_at: Date; due_date: string | null; currency: string }> = await tx.query(
      `INSERT INTO debts_debt (id, citizen_id, reference, kind, amount, outstanding, currency, status, due_date)
       VALUES ($1, $2, $3, $4, $5, $5, $6, 'outstanding', $7)
       ON CONFLICT (reference) DO NOTHING
       RETURNING created_at, to_char(due_date, 'YYYY-MM-DD') AS due_date, currency`,
      [debt.id, debt.citizenId, debt.reference, debt.kind, debt.amount, debt.currency, debt.dueDate],
    );
    return inserted[0];
  }

  async findByReference(tx: EntityManager, reference: string): Promise<DebtEntity> {
    return tx.getRepository(DebtEntity).findOneByOrFail({ reference });
  }

  /**
   * Takes the lock of the debt's citizen (one citizen's settlements at a time: whoever settles the
   * last debt sees every other), keyed by the citizen read in the same statement. False when there
   * is no such debt.
   */
  async lockCitizenOf(tx: EntityManager, debtId: string): Promise<boolean> {
    const locked: unknown[] = await tx.query(
      `SELECT pg_advisory_xact_lock(hashtext('debts-citizen:' || citizen_id)) FROM debts_debt WHERE id = $1`,
      [debtId],
    );
    return locked.length > 0;
  }

  /** The debt, its row locked for this transaction. */
  async findForUpdate(tx: EntityManager, id: string): Promise<DebtEntity> {
    return tx.getRepository(DebtEntity).findOneOrFail({ where: { id }, lock: { mode: 'pessimistic_write' } });
  }

  /**
   * Records a payment applied to the debt (its new outstanding, settled at zero). Returns how many
   * other debts of the citizen are still outstanding, counted in the same statement under the
   * citizen's lock.
   */
  async applyPayment(tx: EntityManager, debt: DebtEntity, outstanding: number): Promise<number> {
    const [[{ still_owed: stillOwed }]]: [Array<{ still_owed: number }>, number] = await tx.query(
      `UPDATE debts_debt d
       SET outstanding = $2, status = $3, settled_at = $4, updated_at = now()
       WHERE d.id = $1
       RETURNING (SELECT count(*)::int FROM debts_debt o
                  WHERE o.citizen_id = d.citizen_id AND o.status = 'outstanding' AND o.id <> d.id) AS still_owed`,
      [
        debt.id,
        String(outstanding),
        outstanding === 0 ? 'settled' : debt.status,
        outstanding === 0 ? new Date() : debt.settledAt,
      ],
    );
    return stillOwed;
  }

  /** The debt, or null when there is none. */
  async findById(tx: EntityManager, id: string): Promise<DebtEntity | null> {
    return tx.getRepository(DebtEntity).findOneBy({ id });
  }

  /** One page of the citizen's debts by id, after `after` when given (`take` rows at most). */
  async pageOfCitizen(
    tx: EntityManager,
    citizenId: string,
    after: string | undefined,
    take: number,
  ): Promise<DebtEntity[]> {
    return tx.getRepository(DebtEntity).find({
      where: { citizenId, ...(after ? { id: MoreThan(after) } : {}) },
      order: { id: 'ASC' },
      take,
    });
  }

  /** The citizen's outstanding debts, oldest (lowest id) first. */
  async outstandingOfCitizen(tx: EntityManager, citizenId: string): Promise<DebtEntity[]> {
    return tx.getRepository(DebtEntity).find({
      where: { citizenId, status: 'outstanding' },
      order: { id: 'ASC' },
    });
  }

  /** Which of `citizenIds` have an outstanding debt (one statement for many citizens). */
  async citizensOwing(tx: EntityManager, citizenIds: readonly string[]): Promise<Array<{ citizen_id: string }>> {
    return tx.query(
      `SELECT DISTINCT citizen_id FROM debts_debt WHERE citizen_id = ANY($1::text[]) AND status = 'outstanding'`,
      [citizenIds],
    );
  }

  /**
   * What every citizen's debts still have outstanding, per citizen and currency, as exact decimal
   * text (the ledger reconciler compares it with the citizens' receivable balances).
   */
  async outstandingByCitizenAndCurrency(
    tx: EntityManager,
  ): Promise<Array<{ citizen_id: string; currency: string; outstanding: string }>> {
    return tx.query(
      `SELECT citizen_id, currency, sum(outstanding)::text AS outstanding FROM debts_debt GROUP BY citizen_id, currency`,
    );
  }
}
