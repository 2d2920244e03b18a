import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { exactMinorUnits, safeMinorUnits } from '../../platform/index.js';
import { assertBalanced, type Posting } from './domain/posting.js';

/** Account names, in one place so every module posts to the same ones. */
export const Accounts = {
  /** What a citizen owes: debited when a debt is registered, credited as payments settle it. */
  citizenReceivable: (citizenId: string) => `citizen:${citizenId}:receivable`,
  /** Income recognised per debt kind when a debt is registered. */
  revenue: (kind: string) => `revenue:${kind}`,
  /** Money held at the payment gateway. */
  gatewayCash: () => 'gateway:cash',
  /** Payments received but not yet applied to what they pay for. */
  paymentsClearing: () => 'payments:clearing',
  /** What a customer's order is worth once paid. */
  customerOrders: (customerId: string) => `customer:${customerId}:orders`,
} as const;

/**
 * The ledger facade: balanced, append-only postings keyed by (source, kind, account), so a
 * replayed event can never post twice. Always called with the caller's transaction.
 */
@Injectable()
export class LedgerApi {
  /** Appends `posting`; returns false when it was already posted. */
  async post(tx: EntityManager, posting: Posting): Promise<boolean> {
    assertBalanced(posting);
    const rows: unknown[] = await tx.query(
      `INSERT INTO ledger_entry (id, source, kind, account, amount, currency)
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[])
       ON CONFLICT (source, kind, account) DO NOTHING
       RETURNING 1`,
      [
        posting.legs.map(() => uuidv7()),
        posting.legs.map(() => posting.source),
        posting.legs.map(() => posting.kind),
        posting.legs.map((leg) => leg.account),
        posting.legs.map((leg) => leg.amount),
        posting.legs.map(() => posting.currency),
      ],
    );
    const inserted = rows.length;
    if (inserted !== 0 && inserted !== posting.legs.length) {
      throw new Error(`posting ${posting.kind}/${posting.source} was partly posted before`);
    }
    return inserted === posting.legs.length;
  }

  /**
   * The balance of `account` in `currency`, in minor units.
   * @throws MinorUnitsOutOfRangeError when it is beyond what a number holds exactly (never rounded).
   */
  async balance(tx: EntityManager, account: string, currency: string): Promise<number> {
    const [row] = await tx.query(
      `SELECT coalesce(sum(amount), 0)::text AS balance FROM ledger_entry WHERE account = $1 AND currency = $2`,
      [account, currency],
    );
    return safeMinorUnits(row.balance, `the balance of ${account}`);
  }

  /**
   * The balance of every citizen's receivable account (`citizen:<id>:receivable`), per currency,
   * for reconciliation against what citizens owe.
   */
  async citizenReceivableBalances(
    tx: EntityManager,
  ): Promise<Array<{ citizenId: string; currency: string; balance: bigint }>> {
    // Exact (bigint): a sum of many entries may pass 2^53 where no single amount does.
    const rows: Array<{ account: string; currency: string; balance: string }> = await tx.query(
      `SELECT account, currency, sum(amount)::text AS balance FROM ledger_entry
       WHERE account LIKE 'citizen:%:receivable' GROUP BY account, currency`,
    );
    return rows.map((row) => ({
      citizenId: row.account.slice('citizen:'.length, -':receivable'.length),
      currency: row.currency,
      balance: exactMinorUnits(row.balance),
    }));
  }

  /** The entries posted from `source` (for reversals). */
  async entries(
    tx: EntityManager,
    source: string,
    kind: string,
  ): Promise<Array<{ account: string; amount: number; currency: string }>> {
    const rows: Array<{ account: string; amount: string; currency: string }> = await tx.query(
      `SELECT account, amount, currency FROM ledger_entry WHERE source = $1 AND kind = $2 ORDER BY account`,
      [source, kind],
    );
    return rows.map((row) => ({ account: row.account, amount: Number(row.amount), currency: row.currency }));
  }
}
