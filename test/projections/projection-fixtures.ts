import request from 'supertest';
import type { DataSource } from 'typeorm';
import { eventually } from '../support/eventually.js';
import type { TestApp } from '../support/test-app.js';

/** A subject whose live projection row differs from its sums over the ledger. */
export interface Drift {
  projection: string;
  subject: string;
  currency: string;
  ledger: string | null;
  projected: string | null;
}

/**
 * Every subject (of both projections, every currency) whose live row differs from the ledger: a
 * full comparison, written in SQL apart from the app's so that a fault in one is not in the other.
 */
export function drift(db: DataSource): Promise<Drift[]> {
  return db.query(`
    WITH ledger AS (
      SELECT 'citizen-balances' AS projection, split_part(account, ':', 2) AS subject, currency,
             concat_ws('/', coalesce(sum(amount) FILTER (WHERE amount > 0), 0), coalesce(-sum(amount) FILTER (WHERE amount < 0), 0),
                       sum(amount)) AS v
      FROM ledger_entry WHERE account LIKE 'citizen:%:receivable' GROUP BY 2, 3
      UNION ALL
      SELECT 'customer-balances', split_part(account, ':', 2), currency,
             concat_ws('/', coalesce(-sum(amount) FILTER (WHERE kind = 'payment-received'), 0),
                       coalesce(sum(amount) FILTER (WHERE kind = 'payment-refunded'), 0), -sum(amount))
      FROM ledger_entry WHERE account LIKE 'customer:%:orders' GROUP BY 2, 3
    ), projected AS (
      SELECT 'citizen-balances' AS projection, citizen_id AS subject, currency,
             concat_ws('/', owed, paid, outstanding) AS v
      FROM ledger_citizen_balance b JOIN ledger_projection p ON p.name = 'citizen-balances' AND b.version = p.live_version
      UNION ALL
      SELECT 'customer-balances', customer_id, currency, concat_ws('/', paid, refunded, open_orders)
      FROM ledger_customer_balance b JOIN ledger_projection p ON p.name = 'customer-balances' AND b.version = p.live_version
    )
    SELECT coalesce(l.projection, p.projection) AS projection, coalesce(l.subject, p.subject) AS subject,
           coalesce(l.currency, p.currency) AS currency, l.v AS ledger, p.v AS projected
    FROM ledger l FULL JOIN projected p ON p.projection = l.projection AND p.subject = l.subject AND p.currency = l.currency
    WHERE l.v IS DISTINCT FROM p.v
    ORDER BY 1, 2, 3`);
}

/** The admin API of the projections. */
export function projectionsAdmin(t: TestApp) {
  const admin = `Bearer ${t.token({ sub: 'ops', roles: ['admin'] })}`;
  const show = async (name: string) => {
    const res = await request(t.url).get(`/admin/projections/${name}`).set('Authorization', admin);
    if (res.status !== 200) throw new Error(`GET projection answered ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body;
  };
  return {
    admin,
    show,
    list: () => request(t.url).get('/admin/projections').set('Authorization', admin),
    requestRebuild: (name: string) =>
      request(t.url).post(`/admin/projections/${name}/rebuild`).set('Authorization', admin),
    /** Waits until the latest rebuild of `name` has ended; returns the projection's view. */
    finished: (name: string, timeoutMs = 60_000) =>
      eventually(
        async () => {
          const view = await show(name);
          if (view.rebuild?.status === 'running') throw new Error(`rebuild ${view.rebuild.id} is still running`);
          return view;
        },
        { timeoutMs, intervalMs: 100 },
      ),
  };
}
