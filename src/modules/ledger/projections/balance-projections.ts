/**
 * The balance projections the ledger keeps: each folds the entries of one family of accounts
 * (`<prefix><subject><suffix>`) into one row per (version, subject, currency). Everything here is
 * data the SQL of the projection store and the rebuilder is built from; no I/O.
 */
export interface BalanceProjection {
  /** Stable, kebab-case; the admin API's `{name}`. */
  readonly name: string;
  readonly table: string;
  readonly subjectColumn: string;
  /** The subject's account is `accountPrefix + subject + accountSuffix`. */
  readonly accountPrefix: string;
  readonly accountSuffix: string;
  /** The balance columns and the aggregate over a subject's entries that computes each. */
  readonly columns: ReadonlyArray<{ name: string; field: string; aggregate: string }>;
}

/** Kinds of entries the projections tell apart (the ledger's, shared with the modules that post them). */
export const EntryKinds = {
  paymentReceived: 'payment-received',
  paymentRefunded: 'payment-refunded',
} as const;

/** Per citizen and currency: what was owed, what was paid, what is outstanding. */
export const citizenBalances: BalanceProjection = {
  name: 'citizen-balances',
  table: 'ledger_citizen_balance',
  subjectColumn: 'citizen_id',
  accountPrefix: 'citizen:',
  accountSuffix: ':receivable',
  columns: [
    { name: 'owed', field: 'owed', aggregate: `coalesce(sum(amount) FILTER (WHERE amount > 0), 0)` },
    { name: 'paid', field: 'paid', aggregate: `coalesce(-sum(amount) FILTER (WHERE amount < 0), 0)` },
    { name: 'outstanding', field: 'outstanding', aggregate: `coalesce(sum(amount), 0)` },
  ],
};

/**
 * Per customer and currency: what they paid for orders, what was refunded to them, and the value of
 * their open orders (paid, neither shipped nor refunded: the balance of `customer:<id>:orders`).
 */
export const customerBalances: BalanceProjection = {
  name: 'customer-balances',
  table: 'ledger_customer_balance',
  subjectColumn: 'customer_id',
  accountPrefix: 'customer:',
  accountSuffix: ':orders',
  columns: [
    {
      name: 'paid',
      field: 'paid',
      aggregate: `coalesce(-sum(amount) FILTER (WHERE kind = '${EntryKinds.paymentReceived}'), 0)`,
    },
    {
      name: 'refunded',
      field: 'refunded',
      aggregate: `coalesce(sum(amount) FILTER (WHERE kind = '${EntryKinds.paymentRefunded}'), 0)`,
    },
    { name: 'open_orders', field: 'openOrders', aggregate: `coalesce(-sum(amount), 0)` },
  ],
};

export const BALANCE_PROJECTIONS: readonly BalanceProjection[] = [citizenBalances, customerBalances];

export function projectionNamed(name: string): BalanceProjection | undefined {
  return BALANCE_PROJECTIONS.find((projection) => projection.name === name);
}

/** The subject whose account `account` is in `projection`, if it is one. */
export function subjectOf(projection: BalanceProjection, account: string): string | undefined {
  const { accountPrefix: prefix, accountSuffix: suffix } = projection;
  if (!account.startsWith(prefix) || !account.endsWith(suffix)) return undefined;
  const subject = account.slice(prefix.length, account.length - suffix.length);
  return subject.length > 0 && !subject.includes(':') ? subject : undefined;
}

/** SQL LIKE pattern of the projection's accounts (subjects never contain `%`, `_` is harmless). */
export const accountPattern = (projection: BalanceProjection): string =>
  `${projection.accountPrefix}%${projection.accountSuffix}`;
