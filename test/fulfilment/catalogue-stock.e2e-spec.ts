import request from 'supertest';
import { DataSource } from 'typeorm';
import { api } from '../support/api-client.js';
import { effects } from '../support/effects.js';
import { useTestApp } from '../support/scenario.js';

describe('fulfilment catalogue, locations and stock', () => {
  const t = useTestApp();
  let client: ReturnType<typeof api>;
  let dataSource: DataSource;

  beforeAll(async () => {
    client = api(t);
    dataSource = t.app.get(DataSource);
  });

  const putSku = (sku: string, body: Record<string, unknown>, auth = client.admin) =>
    request(t.url).put(`/v1/catalog/skus/${sku}`).set('Authorization', auth).send(body);
  const putLocation = (id: string, body: Record<string, unknown>, auth = client.admin) =>
    request(t.url).put(`/v1/inventory/locations/${id}`).set('Authorization', auth).send(body);
  const putStock = (locationId: string, sku: string, body: Record<string, unknown>, auth = client.admin) =>
    request(t.url).put(`/v1/inventory/locations/${locationId}/stock/${sku}`).set('Authorization', auth).send(body);
  const getSku = (sku: string, auth = client.admin) =>
    request(t.url).get(`/v1/inventory/skus/${sku}`).set('Authorization', auth);

  const location = {
    name: 'Riyadh North',
    kind: 'warehouse',
    lat: 24.8,
    lon: 46.6,
    handlingCostPerUnit: 150,
    shippingCostPerKm: 2.5,
    fixedCostPerShipment: 1000,
  };

  it('upserts a SKU: 200 with the SKU, then 200 with the replaced terms', async () => {
    const created = await putSku('SKU-1.a_b', { name: 'Widget', unitPrice: 2500, currency: 'SAR' });
    expect(created.status).toBe(200);
    expect(created.body).toEqual({ sku: 'SKU-1.a_b', name: 'Widget', unitPrice: 2500, currency: 'SAR' });
    const replaced = await putSku('SKU-1.a_b', { name: 'Widget v2', unitPrice: 2700, currency: 'SAR' });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toEqual({ sku: 'SKU-1.a_b', name: 'Widget v2', unitPrice: 2700, currency: 'SAR' });
    const rows = await dataSource.query(`SELECT name, unit_price FROM fulfilment_sku WHERE sku = 'SKU-1.a_b'`);
    expect(rows).toEqual([{ name: 'Widget v2', unit_price: '2700' }]);
  });

  it('validates SKUs strictly and lets only admins write them', async () => {
    const valid = { name: 'Gadget', unitPrice: 100, currency: 'SAR' };
    for (const bad of [
      { ...valid, unitPrice: 0 },
      { ...valid, unitPrice: 1.5 },
      { ...valid, currency: 'USD' },
      { ...valid, name: '' },
      { ...valid, colour: 'red' },
      { name: 'Gadget', currency: 'SAR' },
    ]) {
      expect((await putSku('gadget', bad)).status).toBe(400);
    }
    expect((await putSku('has%20space', valid)).status).toBe(400);
    expect((await putSku('x'.repeat(65), valid)).status).toBe(400);
    expect((await putSku('gadget', valid, client.service)).status).toBe(403);
    expect((await putSku('gadget', valid, client.as('cust-1', ['customer']))).status).toBe(403);
    expect((await request(t.url).put('/v1/catalog/skus/gadget').send(valid)).status).toBe(401);
    expect((await putSku('gadget', valid)).status).toBe(200);
  });

  it('upserts a location with fractional shipping cost per km', async () => {
    const created = await putLocation('loc-a', location);
    expect(created.status).toBe(200);
    expect(created.body).toEqual({ locationId: 'loc-a', ...location });
    const moved = await putLocation('loc-a', { ...location, kind: 'store', lat: -90, lon: 180 });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ locationId: 'loc-a', kind: 'store', lat: -90, lon: 180 });
  });

  it('validates locations strictly and lets only admins write them', async () => {
    for (const bad of [
      { ...location, kind: 'depot' },
      { ...location, lat: 90.1 },
      { ...location, lat: -91 },
      { ...location, lon: 180.5 },
      { ...location, lon: '46' },
      { ...location, handlingCostPerUnit: -1 },
      { ...location, handlingCostPerUnit: 1.5 },
      { ...location, shippingCostPerKm: -0.1 },
      { ...location, fixedCostPerShipment: 2.5 },
      { ...location, extra: true },
    ]) {
      const res = await putLocation('loc-bad', bad);
      expect(res.status).toBe(400);
    }
    expect((await putLocation('loc-bad', location, client.service)).status).toBe(403);
    const [{ n }] = await dataSource.query(`SELECT count(*)::int AS n FROM fulfilment_location WHERE id = 'loc-bad'`);
    expect(n).toBe(0);
  });

  it('sets stock per bucket and reports it per SKU with the total available', async () => {
    await putSku('tot-sku', { name: 'Totals', unitPrice: 500, currency: 'SAR' });
    await putLocation('tot-1', location);
    await putLocation('tot-2', { ...location, kind: 'store' });
    const first = await putStock('tot-1', 'tot-sku', { onHand: 7 });
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ locationId: 'tot-1', sku: 'tot-sku', onHand: 7, reserved: 0, available: 7 });
    expect((await putStock('tot-2', 'tot-sku', { onHand: 3 })).status).toBe(200);
    expect((await putStock('tot-1', 'tot-sku', { onHand: 10 })).body.onHand).toBe(10);
    await dataSource.query(`UPDATE fulfilment_stock SET reserved = 2 WHERE location_id = 'tot-2' AND sku = 'tot-sku'`);

    const res = await getSku('tot-sku');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      sku: 'tot-sku',
      locations: [
        { locationId: 'tot-1', sku: 'tot-sku', onHand: 10, reserved: 0, available: 10 },
        { locationId: 'tot-2', sku: 'tot-sku', onHand: 3, reserved: 2, available: 1 },
      ],
      totalAvailable: 11,
    });

    await putSku('empty-sku', { name: 'Nothing yet', unitPrice: 1, currency: 'SAR' });
    expect((await getSku('empty-sku')).body).toEqual({ sku: 'empty-sku', locations: [], totalAvailable: 0 });
    expect((await getSku('no-such-sku')).status).toBe(404);
    expect((await getSku('tot-sku', client.service)).status).toBe(403);
  });

  it('answers 404 for an unknown location or sku and 400 for a bad quantity', async () => {
    await putSku('known-sku', { name: 'Known', unitPrice: 100, currency: 'SAR' });
    await putLocation('known-loc', location);
    const noLocation = await putStock('nowhere', 'known-sku', { onHand: 1 });
    expect(noLocation.status).toBe(404);
    expect(noLocation.body.detail).toContain('location nowhere');
    const noSku = await putStock('known-loc', 'unknown-sku', { onHand: 1 });
    expect(noSku.status).toBe(404);
    expect(noSku.body.detail).toContain('sku unknown-sku');
    for (const bad of [{ onHand: -1 }, { onHand: 1.5 }, { onHand: '3' }, {}, { onHand: 1, reserved: 0 }]) {
      expect((await putStock('known-loc', 'known-sku', bad)).status).toBe(400);
    }
    expect((await putStock('known-loc', 'known-sku', { onHand: 1 }, client.service)).status).toBe(403);
    expect((await effects(t).stock('known-sku'))?.locations).toEqual([]);
  });

  it('refuses on-hand below the reserved units with 409 and leaves the bucket unchanged', async () => {
    await putSku('res-sku', { name: 'Reserved', unitPrice: 100, currency: 'SAR' });
    await putLocation('res-loc', location);
    expect((await putStock('res-loc', 'res-sku', { onHand: 10 })).status).toBe(200);
    // A reservation, as the reservation subscriber would make it.
    await dataSource.query(
      `UPDATE fulfilment_stock SET reserved = 6 WHERE location_id = 'res-loc' AND sku = 'res-sku'`,
    );

    const conflict = await putStock('res-loc', 'res-sku', { onHand: 5 });
    expect(conflict.status).toBe(409);
    expect(conflict.headers['content-type']).toContain('application/problem+json');
    expect(conflict.body).toMatchObject({ type: '/problems/stock-below-reserved', status: 409, reserved: 6 });
    expect((await effects(t).stock('res-sku'))?.locations).toEqual([
      expect.objectContaining({ locationId: 'res-loc', onHand: 10, reserved: 6 }),
    ]);

    const exact = await putStock('res-loc', 'res-sku', { onHand: 6 });
    expect(exact.status).toBe(200);
    expect(exact.body).toEqual({ locationId: 'res-loc', sku: 'res-sku', onHand: 6, reserved: 6, available: 0 });
  });

  it('has the database itself reject phantom stock (reserved above on-hand, or negative)', async () => {
    await putSku('chk-sku', { name: 'Check', unitPrice: 100, currency: 'SAR' });
    await putLocation('chk-loc', location);
    await putStock('chk-loc', 'chk-sku', { onHand: 4 });
    const where = `WHERE location_id = 'chk-loc' AND sku = 'chk-sku'`;
    await expect(dataSource.query(`UPDATE fulfilment_stock SET reserved = 5 ${where}`)).rejects.toThrow(
      /fulfilment_stock_no_phantom/,
    );
    await expect(dataSource.query(`UPDATE fulfilment_stock SET reserved = -1 ${where}`)).rejects.toThrow(
      /fulfilment_stock_no_phantom/,
    );
    await expect(dataSource.query(`UPDATE fulfilment_stock SET on_hand = on_hand - 5 ${where}`)).rejects.toThrow(
      /fulfilment_stock_no_phantom/,
    );
    await expect(
      dataSource.query(
        `INSERT INTO fulfilment_stock (location_id, sku, on_hand, reserved) VALUES ('chk-loc', 'known-nothing', 1, 0)`,
      ),
    ).rejects.toThrow(/foreign key/);
    expect((await effects(t).stock('chk-sku'))?.locations).toEqual([
      expect.objectContaining({ locationId: 'chk-loc', onHand: 4, reserved: 0 }),
    ]);
  });
});
