/**
 * What must be true once the deployment has converged, read from PostgreSQL and from the stub
 * provider's own records (never from logs). {@link examine} splits what it finds into `pending`
 * (work the system is still expected to finish: it becomes a violation only if convergence times
 * out) and `violations` (wrong whatever happens next).
 */
import type pg from 'pg';

export interface ProviderCharge {
  idempotencyKey: string;
  chargeRequests: number;
  chargesCreated: number;
  charge: { id: string; status: string; amount: number; metadata: { paymentId: string } } | null;
}

export interface ProviderRefund {
  charge: string;
  amount: number;
}

export interface Provider {
  charges(): Promise<ProviderCharge[]>;
  refunds(): Promise<ProviderRefund[]>;
}

export interface Examination {
  pending: string[];
  violations: string[];
  /** Payments by status (failed ones by reason), for the report. */
  payments: Record<string, number>;
}

async function rows<T>(db: pg.Pool, sql: string, params: unknown[] = []): Promise<T[]> {
  return (await db.query(sql, params)).rows as T[];
}

const sample = (ids: string[]) => `${ids.slice(0, 3).join(', ')}${ids.length > 3 ? ', …' : ''}`;

/** The drill's own SKUs, and the stock each of their (location, sku) buckets was given before any order. */
export interface DrillStock {
  skus: string[];
  initialOnHand: number;
}

/** `provider` undefined: a staging run without the stub's records (its checks are skipped). */
export async function examine(db: pg.Pool, provider: Provider | undefined, stock: DrillStock): Promise<Examination> {
  const pending: string[] = [];
  const violations: string[] = [];
  const count = async (what: string, sql: string, into: string[], params: unknown[] = []) => {
    const found = await rows<{ id: string }>(db, sql, params);
    if (found.length > 0) into.push(`${found.length} ${what} (${sample(found.map((r) => r.id))})`);
  };

  // Work still under way.
  await count('events not relayed', `SELECT id::text FROM outbox_message`, pending);
  await count(
    'deliveries not handled',
    `SELECT event_id || '/' || subscriber AS id FROM outbox_delivery WHERE state IN ('pending', 'enqueued')`,
    pending,
  );
  await count('payments pending', `SELECT id::text FROM payments_payment WHERE status = 'pending'`, pending);
  await count(
    'orders in passing states',
    `SELECT id::text || ':' || status AS id FROM fulfilment_order WHERE status IN ('placed', 'paid', 'ready')`,
    pending,
  );
  await count(
    'debts whose outstanding is not amount minus confirmed payments',
    `SELECT d.id::text FROM debts_debt d
       LEFT JOIN payments_payment p ON p.purpose = 'debt' AND p.reference_id = d.id::text AND p.status = 'confirmed'
      GROUP BY d.id, d.amount, d.outstanding, d.status
     HAVING d.outstanding <> d.amount - coalesce(sum(p.amount), 0)
         OR (d.status = 'settled') <> (d.outstanding = 0)`,
    pending,
  );
  await count(
    'cleared citizens with a blocked application',
    `SELECT a.id::text FROM licences_application a
      WHERE a.status = 'blocked'
        AND NOT EXISTS (SELECT 1 FROM debts_debt d WHERE d.citizen_id = a.citizen_id AND d.status = 'outstanding')`,
    pending,
  );
  await count(
    'orders paid but neither shipped nor refunded',
    `SELECT id::text FROM fulfilment_order WHERE payment_status = 'confirmed' AND status NOT IN ('shipped', 'cancelled')`,
    pending,
  );

  // Wrong whatever comes next.
  await count(
    'applications issued while their citizen still owes',
    `SELECT a.id::text FROM licences_application a
      WHERE a.status = 'issued'
        AND EXISTS (SELECT 1 FROM debts_debt d WHERE d.citizen_id = a.citizen_id AND d.status = 'outstanding')`,
    violations,
  );
  await count(
    'licences issued more than once',
    `SELECT aggregate_id AS id FROM outbox_event WHERE type = 'licences.licence-issued'
      GROUP BY aggregate_id HAVING count(*) > 1`,
    violations,
  );
  await count(
    'orders shipped more than once',
    `SELECT aggregate_id AS id FROM outbox_event WHERE type = 'fulfilment.order-shipped'
      GROUP BY aggregate_id HAVING count(*) > 1`,
    violations,
  );
  await count(
    'stock buckets below zero',
    `SELECT location_id || '/' || sku AS id FROM fulfilment_stock WHERE on_hand < 0 OR reserved < 0 OR reserved > on_hand`,
    violations,
  );
  await count(
    'stock buckets whose on-hand is not the initial stock minus what shipped',
    `SELECT s.location_id || '/' || s.sku AS id
       FROM fulfilment_stock s
       LEFT JOIN (SELECT a->>'locationId' AS location_id, a->>'sku' AS sku, sum((a->>'quantity')::int) AS units
                    FROM fulfilment_order o, jsonb_array_elements(o.allocations) a
                   WHERE o.status = 'shipped' GROUP BY 1, 2) shipped
         ON shipped.location_id = s.location_id AND shipped.sku = s.sku
      WHERE s.sku = ANY($1::text[]) AND s.on_hand <> $2 - coalesce(shipped.units, 0)`,
    violations,
    [stock.skus, stock.initialOnHand],
  );
  await count(
    'ledger sources not balanced',
    `SELECT source || ' ' || currency AS id FROM ledger_entry GROUP BY source, currency HAVING sum(amount) <> 0`,
    violations,
  );
  await count(
    'dead letters',
    `SELECT subscriber || ' ' || reason || ': ' || left(error_message, 80) AS id FROM outbox_dead_letter WHERE status = 'dead'`,
    violations,
  );

  // The provider's own records against the payments.
  const [charges, refunds, payments] = await Promise.all([
    provider?.charges() ?? [],
    provider?.refunds() ?? [],
    rows<{ id: string; status: string; amount: string; purpose: string; reference_id: string; reason: string | null }>(
      db,
      `SELECT id::text, status, amount::text, purpose, reference_id, failure_reason AS reason FROM payments_payment`,
    ),
  ]);
  const byPayment = new Map(payments.map((p) => [p.id, p]));
  const refunded = new Map<string, number>();
  for (const refund of refunds) refunded.set(refund.charge, (refunded.get(refund.charge) ?? 0) + refund.amount);
  const twice = charges.filter((c) => c.chargesCreated > 1).map((c) => c.idempotencyKey);
  if (twice.length > 0) violations.push(`${twice.length} payments charged more than once (${sample(twice)})`);
  const chargedPerPayment = new Map<string, number>();
  const keptWithoutPayment: string[] = [];
  const netByReference = new Map<string, number>();
  for (const { charge } of charges) {
    if (!charge || charge.status !== 'succeeded') continue;
    const paymentId = charge.metadata.paymentId;
    chargedPerPayment.set(paymentId, (chargedPerPayment.get(paymentId) ?? 0) + 1);
    const net = charge.amount - (refunded.get(charge.id) ?? 0);
    const payment = byPayment.get(paymentId);
    if (!payment) {
      keptWithoutPayment.push(paymentId);
      continue;
    }
    const key = `${payment.purpose}:${payment.reference_id}`;
    netByReference.set(key, (netByReference.get(key) ?? 0) + net);
    // Money the provider took for a payment the product failed, and never gave back.
    if (payment.status === 'failed' && net > 0) keptWithoutPayment.push(paymentId);
  }
  if (keptWithoutPayment.length > 0) {
    violations.push(
      `${keptWithoutPayment.length} charges kept by the provider for failed or unknown payments (${sample(keptWithoutPayment)})`,
    );
  }
  const confirmedWithoutCharge = payments
    .filter(() => provider !== undefined)
    .filter((p) => ['confirmed', 'refunding', 'refunded'].includes(p.status) && !chargedPerPayment.has(p.id))
    .map((p) => p.id);
  if (confirmedWithoutCharge.length > 0) {
    violations.push(
      `${confirmedWithoutCharge.length} payments confirmed with no succeeded charge at the provider (${sample(confirmedWithoutCharge)})`,
    );
  }
  // What the provider kept per debt or order is what the product recognises as paid.
  const confirmedByReference = new Map<string, number>();
  for (const p of payments) {
    if (p.status !== 'confirmed') continue;
    const key = `${p.purpose}:${p.reference_id}`;
    confirmedByReference.set(key, (confirmedByReference.get(key) ?? 0) + Number(p.amount));
  }
  const mismatched = [...new Set([...netByReference.keys(), ...(provider ? confirmedByReference.keys() : [])])].filter(
    (key) => (netByReference.get(key) ?? 0) !== (confirmedByReference.get(key) ?? 0),
  );
  if (mismatched.length > 0) {
    // Until every payment is resolved a charge may be ahead of its payment: only pending then.
    const into = pending.some((p) => p.includes('payments pending')) ? pending : violations;
    into.push(
      `${mismatched.length} debts/orders where the provider kept another sum than the confirmed payments (${sample(mismatched)})`,
    );
  }

  const byStatus: Record<string, number> = {};
  for (const p of payments) {
    const key = p.status === 'failed' ? `failed (${p.reason ?? 'no reason'})` : p.status;
    byStatus[key] = (byStatus[key] ?? 0) + 1;
  }
  return { pending, violations, payments: byStatus };
}
