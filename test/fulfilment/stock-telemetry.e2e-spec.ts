import { type Counter, register } from 'prom-client';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { api } from '../support/api-client.js';
import { effects } from '../support/effects.js';
import { eventually } from '../support/eventually.js';
import { useTestApp } from '../support/scenario.js';

const SUBSCRIBER = 'fulfilment.record-stock-observation';

interface Reading {
  locationId: string;
  sku: string;
  observedOnHand: number;
  observedAt: string;
}

/** Deterministic shuffle, so the newest reading of a bucket is rarely the last one sent. */
function shuffled<T>(items: T[]): T[] {
  const out = [...items];
  let seed = 42;
  for (let i = out.length - 1; i > 0; i--) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    const j = seed % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

const at = (second: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, second)).toISOString();

describe('fulfilment stock telemetry', () => {
  const t = useTestApp();
  let client: ReturnType<typeof api>;
  let dataSource: DataSource;

  beforeAll(async () => {
    client = api(t);
    dataSource = t.app.get(DataSource);
  });

  const postTelemetry = (body: unknown, auth = client.service) =>
    request(t.url)
      .post('/v1/inventory/telemetry')
      .set('Authorization', auth)
      .send(body as object);
  const handledCount = async (): Promise<number> => {
    const [{ n }] = await dataSource.query(`SELECT count(*)::int AS n FROM outbox_inbox WHERE subscriber = $1`, [
      SUBSCRIBER,
    ]);
    return n;
  };
  const observations = async () =>
    dataSource.query(
      `SELECT location_id, sku, observed_on_hand, observed_at, drift FROM fulfilment_stock_observation
       ORDER BY location_id, sku`,
    );
  const metricValue = async (name: string, labels: Record<string, string>): Promise<number> => {
    const metric = register.getSingleMetric(name) as Counter | undefined;
    if (!metric) return 0;
    const { values } = await metric.get();
    const match = values.find((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val));
    return match?.value ?? 0;
  };

  it('accepts 1000 readings in one batch, delivers each on the bulk lane and keeps the newest per bucket', async () => {
    const admin = client.admin;
    await request(t.url)
      .put('/v1/catalog/skus/s0')
      .set('Authorization', admin)
      .send({ name: 'Scanned', unitPrice: 100, currency: 'SAR' })
      .expect(200);
    await request(t.url)
      .put('/v1/inventory/locations/l0')
      .set('Authorization', admin)
      .send({
        name: 'Scanned store',
        kind: 'store',
        lat: 21.5,
        lon: 39.2,
        handlingCostPerUnit: 0,
        shippingCostPerKm: 0,
        fixedCostPerShipment: 0,
      })
      .expect(200);
    await request(t.url)
      .put('/v1/inventory/locations/l0/stock/s0')
      .set('Authorization', admin)
      .send({ onHand: 50 })
      .expect(200);
    await dataSource.query(`UPDATE fulfilment_stock SET reserved = 20 WHERE location_id = 'l0' AND sku = 's0'`);
    const appliedBefore = await metricValue('fulfilment_stock_observations_total', { outcome: 'applied' });
    const staleBefore = await metricValue('fulfilment_stock_observations_total', { outcome: 'stale' });

    // 20 buckets x 50 readings; bucket l0/s0 is the configured one (on_hand 50).
    const readings: Reading[] = [];
    for (let b = 0; b < 20; b++) {
      for (let r = 0; r < 50; r++) {
        readings.push({
          locationId: `l${b % 4}`,
          sku: `s${Math.floor(b / 4)}`,
          observedOnHand: r * 3 + b,
          observedAt: at(r),
        });
      }
    }
    expect(readings).toHaveLength(1000);
    const accepted = await postTelemetry({ readings: shuffled(readings) });
    expect(accepted.status).toBe(202);
    expect(accepted.body).toEqual({ accepted: 1000 });

    const [{ n: events }] = await dataSource.query(
      `SELECT count(*)::int AS n FROM (
           SELECT id FROM outbox_message WHERE type = 'fulfilment.stock-observed'
           UNION ALL SELECT id FROM outbox_event WHERE type = 'fulfilment.stock-observed') e`,
    );
    expect(events).toBe(1000);

    await eventually(async () => expect(await handledCount()).toBe(1000), { timeoutMs: 90_000, intervalMs: 200 });
    const lanes = await dataSource.query(
      `SELECT lane, state, count(*)::int AS n FROM outbox_delivery WHERE subscriber = $1 GROUP BY lane, state`,
      [SUBSCRIBER],
    );
    expect(lanes).toEqual([{ lane: 'bulk', state: 'handled', n: 1000 }]);

    const expected = [];
    for (let b = 0; b < 20; b++) {
      const locationId = `l${b % 4}`;
      const sku = `s${Math.floor(b / 4)}`;
      const observedOnHand = 49 * 3 + b;
      expected.push({
        location_id: locationId,
        sku,
        observed_on_hand: observedOnHand,
        observed_at: new Date(at(49)),
        drift: locationId === 'l0' && sku === 's0' ? observedOnHand - 50 : null,
      });
    }
    expected.sort((x, y) => `${x.location_id}/${x.sku}`.localeCompare(`${y.location_id}/${y.sku}`));
    expect(await observations()).toEqual(expected);

    // Each reading is counted once, as applied or as stale (older than the one already kept). The
    // count follows each handler's COMMIT (afterCommit), which this process may see a moment after
    // the ledger rows above became visible.
    await eventually(async () => {
      const applied =
        (await metricValue('fulfilment_stock_observations_total', { outcome: 'applied' })) - appliedBefore;
      const stale = (await metricValue('fulfilment_stock_observations_total', { outcome: 'stale' })) - staleBefore;
      expect(applied + stale).toBe(1000);
      expect(applied).toBeGreaterThanOrEqual(20);
    });

    // Telemetry never moves stock or reservations.
    const bucket = (await effects(t).stock('s0'))?.locations.find((level) => level.locationId === 'l0');
    expect(bucket).toMatchObject({ onHand: 50, reserved: 20 });

    // A later batch: an older reading is ignored, a newer one replaces the kept observation.
    const late = await postTelemetry({
      readings: [
        { locationId: 'l0', sku: 's0', observedOnHand: 1, observedAt: at(10) },
        { locationId: 'l1', sku: 's0', observedOnHand: 999, observedAt: at(120) },
      ],
    });
    expect(late.status).toBe(202);
    expect(late.body).toEqual({ accepted: 2 });
    await eventually(async () => expect(await handledCount()).toBe(1002), { timeoutMs: 30_000 });
    const after = await observations();
    expect(after.find((o: { location_id: string; sku: string }) => o.location_id === 'l0' && o.sku === 's0')).toEqual(
      expected[0],
    );
    expect(
      after.find((o: { location_id: string; sku: string }) => o.location_id === 'l1' && o.sku === 's0'),
    ).toMatchObject({ observed_on_hand: 999, observed_at: new Date(at(120)), drift: null });
  }, 150_000);

  it('refuses more than 1000 readings, an empty batch and malformed readings with 400, appending nothing', async () => {
    const reading = { locationId: 'l9', sku: 's9', observedOnHand: 1, observedAt: at(0) };
    const tooMany = await postTelemetry({ readings: Array.from({ length: 1001 }, () => reading) });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.type).toBe('/problems/validation-failed');
    for (const bad of [
      { readings: [] },
      {},
      { readings: [{ ...reading, observedAt: 'yesterday' }] },
      { readings: [{ ...reading, observedOnHand: -1 }] },
      { readings: [{ ...reading, observedOnHand: 1.5 }] },
      { readings: [{ ...reading, sku: 'bad sku' }] },
      { readings: [{ ...reading, extra: 1 }] },
      { readings: [reading], extra: 1 },
    ]) {
      expect((await postTelemetry(bad)).status).toBe(400);
    }
    expect((await postTelemetry({ readings: [reading] }, client.admin)).status).toBe(403);
    const [{ n }] = await dataSource.query(
      `SELECT count(*)::int AS n FROM (
         SELECT id FROM outbox_message WHERE aggregate_id = 'l9/s9'
         UNION ALL SELECT id FROM outbox_event WHERE aggregate_id = 'l9/s9') e`,
    );
    expect(n).toBe(0);
  });
  it('takes a full batch with realistic ids although it exceeds the general body limit', async () => {
    const longId = (prefix: string, i: number) => `${prefix}-${String(i).padStart(4, '0')}-${'x'.repeat(45)}`;
    const readings = Array.from({ length: 1000 }, (_, i) => ({
      locationId: longId('warehouse', i % 10),
      sku: longId('sku', i),
      observedOnHand: i,
      observedAt: at(1),
    }));
    expect(Buffer.byteLength(JSON.stringify({ readings }))).toBeGreaterThan(100 * 1024);
    const res = await postTelemetry({ readings });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ accepted: 1000 });
  });
});
