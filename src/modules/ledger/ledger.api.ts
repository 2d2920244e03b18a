import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { OutboxWriter } from '../../outbox/index.js';
import { exactMinorUnits, safeMinorUnits } from '../../platform/index.js';
import { assertBalanced, type Posting } from './domain/posting.js';
import { EntriesPostedV1 } from './events/index.js';
import { citizenBalances, customerBalances, subjectOf } from './projections/balance-projections.js';
import { ProjectionStore } from './projections/projection-store.js';

/** A citizen's balance in one currency, from the `citizen-balances` projection (minor units, exact). */
export interface CitizenBalance {
  currency: string;
  owed: bigint;
  paid: bigint;
  outstanding: bigint;
}

/** A customer's balance in one currency, from the `customer-balances` projection (minor units, exact). */
export interface CustomerBalance {
  currency: string;
  paid: bigint;
  refunded: bigint;
  /** Paid orders neither shipped nor refunded. */
  openOrders: bigint;
}

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
  /**
   * What the business holds for a customer's orders: credited when an order payment is received,
   * debited when the order ships (to revenue) or the payment is refunded.
   */
  customerOrders: (customerId: string) => `customer:${customerId}:orders`,
} as const;

/**
 * The ledger facade: balanced, append-only postings keyed by (source, kind, account), so a
 * replayed event can never post twice. Always called with the caller's transaction.
 */
@Injectable()
export class LedgerApi {
  constructor(
    private readonly outbox: OutboxWriter,
    private readonly dataSource: DataSource,
    private readonly projections: ProjectionStore,
  ) {}

  /**
   * Appends `posting`; returns false when it was already posted. A posting that moves a citizen's
   * or a customer's account also appends `ledger.entries-posted` in `tx`, which keeps the balance
   * projections current.
   */
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
    if (inserted === 0) return false;
    const citizenIds = subjectsIn(posting, citizenBalances);
    const customerIds = subjectsIn(posting, customerBalances);
    if (citizenIds.length > 0 || customerIds.length > 0) {
      await this.outbox.append(tx, {
        contract: EntriesPostedV1,
        aggregateId: posting.source,
        payload: {
          source: posting.source,
          kind: posting.kind,
          currency: posting.currency,
          citizenIds,
          customerIds,
          citizens: citizenIds.length > 0,
          customers: customerIds.length > 0,
        },
      });
    }
    return true;
  }

  /** A citizen's balances per currency, as the `citizen-balances` projection has them (kept current by events). */
  async citizenBalances(citizenId: string, db: EntityManager = this.dataSource.manager): Promise<CitizenBalance[]> {
    const rows = await this.projections.balances(db, citizenBalances, citizenId);
    return rows.map((row) => ({
      currency: row.currency,
      owed: exactMinorUnits(row.owed),
      paid: exactMinorUnits(row.paid),
      outstanding: exactMinorUnits(row.outstanding),
    }));
  }

  /** A customer's balances per currency, as the `customer-balances` projection has them. */
  async customerBalances(customerId: string, db: EntityManager = this.dataSource.manager): Promise<CustomerBalance[]> {
    const rows = await this.projections.balances(db, customerBalances, customerId);
    return rows.map((row) => ({
      currency: row.currency,
      paid: exactMinorUnits(row.paid),
      refunded: exactMinorUnits(row.refunded),
      openOrders: exactMinorUnits(row.openOrders),
    }));
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

  /**
   * Per source, the amount posted to `account` by postings of `kind` whose source starts with
   * `sourcePrefix`, and the balance of `account` per currency: what a reconciler compares with the
   * records those postings stand for. Exact (bigint).
   */
  async postedTo(
    tx: EntityManager,
    account: string,
    kind: string,
    sourcePrefix: string,
  ): Promise<{ bySource: Map<string, { amount: bigint; currency: string }>; balances: Map<string, bigint> }> {
    const rows: Array<{ source: string; amount: string; currency: string }> = await tx.query(
      `SELECT source, amount::text AS amount, currency FROM ledger_entry
       WHERE account = $1 AND kind = $2 AND starts_with(source, $3)`,
      [account, kind, sourcePrefix],
    );
    const balances: Array<{ currency: string; balance: string }> = await tx.query(
      `SELECT currency, sum(amount)::text AS balance FROM ledger_entry WHERE account = $1 GROUP BY currency`,
      [account],
    );
    return {
      bySource: new Map(rows.map((row) => [row.source, { amount: BigInt(row.amount), currency: row.currency }])),
      balances: new Map(balances.map((row) => [row.currency, exactMinorUnits(row.balance)])),
    };
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

function subjectsIn(posting: Posting, projection: Parameters<typeof subjectOf>[0]): string[] {
  const subjects = posting.legs.map((leg) => subjectOf(projection, leg.account)).filter((s) => s !== undefined);
  return [...new Set(subjects)].sort();
}
