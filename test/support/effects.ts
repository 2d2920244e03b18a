import request from 'supertest';
import { DataSource } from 'typeorm';
import { DebtsApi, type OutstandingDebt } from '../../src/modules/debts/index.js';
import type { OrderView, SkuStockView } from '../../src/modules/fulfilment/index.js';
import { type CitizenBalance, type CustomerBalance, LedgerApi } from '../../src/modules/ledger/index.js';
import { PaymentsApi, type PaymentView } from '../../src/modules/payments/index.js';
import type { MessageJourney } from '../../src/outbox/host.js';
import type { TestApp } from './test-app.js';

/**
 * Readers for the effects a scenario causes (issue 16.6), through what the app offers its callers:
 * the modules' facades (`src/modules/<m>/index.ts`) and the HTTP API (`/v1`, and the message journeys
 * under `/admin/messages`), instead of SQL on a module's tables. A test that reads a table couples
 * itself to that module's schema; one that reads a facade or a route sees what a caller sees.
 *
 * ```ts
 * const read = effects(t);
 * await eventually(async () => expect(await read.debt(debtId)).toMatchObject({ status: 'settled' }));
 * ```
 *
 * A reader answers `undefined` for an object that does not exist (404), and throws on any other
 * answer that is not 200, with the status and body.
 */
export function effects(t: TestApp) {
  const admin = () => `Bearer ${t.token({ sub: 'effects-reader', roles: ['admin'] })}`;
  const get = async <T>(path: string): Promise<T | undefined> => {
    const res = await request(t.url).get(path).set('Authorization', admin());
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw new Error(`effects: GET ${path} answered ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body as T;
  };
  const all = async <T>(path: string): Promise<T[]> => collectPages<T>((cursor) => get(pageOf(path, cursor)));

  return {
    /** A debt as `GET /v1/debts/{id}` shows it (API.md `Debt`). */
    debt: (id: string) => get<Debt>(`/v1/debts/${id}`),
    /** Every debt of a citizen, all pages of `GET /v1/citizens/{citizenId}/debts`. */
    debtsOf: (citizenId: string) => all<Debt>(`/v1/citizens/${encodeURIComponent(citizenId)}/debts`),
    /** What the debts facade says a citizen still owes, oldest first. */
    outstandingDebts: (citizenId: string): Promise<OutstandingDebt[]> =>
      t.app.get(DebtsApi).outstandingDebts(citizenId),

    /** A licence application as `GET /v1/licences/applications/{id}` shows it (API.md `Application`). */
    application: (id: string) => get<Application>(`/v1/licences/applications/${id}`),
    /** Every licence application of a citizen, all pages. */
    applicationsOf: (citizenId: string) =>
      all<Application>(`/v1/citizens/${encodeURIComponent(citizenId)}/licences/applications`),

    /** A payment as the payments facade shows it (API.md `Payment`). */
    payment: (id: string): Promise<PaymentView | undefined> => t.app.get(PaymentsApi).payment(id),

    /** An order as `GET /v1/orders/{id}` shows it (API.md `Order`). */
    order: (id: string) => get<OrderView>(`/v1/orders/${id}`),
    /** A SKU's stock per location, by location id, as `GET /v1/inventory/skus/{sku}` shows it; an unknown SKU is undefined. */
    stock: (sku: string) => get<SkuStockView>(`/v1/inventory/skus/${encodeURIComponent(sku)}`),

    /** The balance of a ledger account in `currency`, in minor units (0 for an account with no entries). */
    ledgerBalance: (account: string, currency = 'SAR'): Promise<number> =>
      t.app.get(LedgerApi).balance(t.app.get(DataSource).manager, account, currency),
    /** The entries of `kind` posted from `source`, by account. */
    ledgerEntries: (source: string, kind: string) =>
      t.app.get(LedgerApi).entries(t.app.get(DataSource).manager, source, kind),
    /** A citizen's balances per currency, from the `citizen-balances` projection. */
    citizenBalances: (citizenId: string): Promise<CitizenBalance[]> => t.app.get(LedgerApi).citizenBalances(citizenId),
    /** A customer's balances per currency, from the `customer-balances` projection. */
    customerBalances: (customerId: string): Promise<CustomerBalance[]> =>
      t.app.get(LedgerApi).customerBalances(customerId),

    /** What happened to one event (`GET /admin/messages/{eventId}`): its envelope, deliveries and caused events. */
    journey: (eventId: string) => get<MessageJourney>(`/admin/messages/${eventId}`),
    /** The journeys of every event of one correlation id (an HTTP request and all it caused), oldest first. */
    journeysOf: (correlationId: string) =>
      all<MessageJourney>(`/admin/messages?correlationId=${encodeURIComponent(correlationId)}`),
  };
}

export type Effects = ReturnType<typeof effects>;

/** API.md `Debt`. */
export interface Debt {
  id: string;
  citizenId: string;
  reference: string;
  kind: 'fine' | 'fee' | 'tax';
  amount: number;
  outstanding: number;
  currency: string;
  status: 'outstanding' | 'settled';
  dueDate: string | null;
  createdAt: string;
  settledAt: string | null;
}

/** API.md `Application`. */
export interface Application {
  id: string;
  citizenId: string;
  activity: string;
  premisesAddress: string;
  status: 'blocked' | 'issued';
  blockingDebtIds: string[];
  licenceNumber: string | null;
  createdAt: string;
  issuedAt: string | null;
}

/** One page of a list route (API.md "Conventions"). */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** The largest page a list route serves (`PageQuery`). */
const PAGE_LIMIT = 200;

/** `path` with the page size and, after the first page, the cursor. */
export function pageOf(path: string, cursor: string | null): string {
  const query = new URLSearchParams({ limit: String(PAGE_LIMIT) });
  if (cursor !== null) query.set('cursor', cursor);
  return `${path}${path.includes('?') ? '&' : '?'}${query.toString()}`;
}

/**
 * Every item of a paged list, following `nextCursor` until a page has none. A missing list (404) is
 * empty. Stops with an error on a cursor seen before, rather than looping.
 */
export async function collectPages<T>(
  fetchPage: (cursor: string | null) => Promise<Page<T> | undefined>,
): Promise<T[]> {
  const items: T[] = [];
  const seen = new Set<string>();
  let cursor: string | null = null;
  for (;;) {
    const page: Page<T> | undefined = await fetchPage(cursor);
    if (page === undefined) return items;
    items.push(...page.items);
    if (page.nextCursor === null) return items;
    if (seen.has(page.nextCursor)) throw new Error(`effects: the list repeated cursor ${page.nextCursor}`);
    seen.add(page.nextCursor);
    cursor = page.nextCursor;
  }
}
