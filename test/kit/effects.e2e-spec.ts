import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { customer, placeOrder, stockedSku } from '../fulfilment/order-fixtures.js';
import { pay, registerDebt } from '../payments/payment-fixtures.js';
import { collectPages, effects, type Page, pageOf } from '../support/effects.js';
import { eventually } from '../support/eventually.js';
import { useTestApp } from '../support/scenario.js';

describe('effect readers (test/support/effects.ts)', () => {
  describe('collectPages and pageOf', () => {
    const pages: Record<string, Page<number>> = {
      first: { items: [1, 2], nextCursor: 'b' },
      b: { items: [3], nextCursor: 'c' },
      c: { items: [4, 5], nextCursor: null },
    };

    it('follows nextCursor to the last page, in order', async () => {
      const asked: Array<string | null> = [];
      const items = await collectPages(async (cursor) => {
        asked.push(cursor);
        return pages[cursor ?? 'first'];
      });
      expect(items).toEqual([1, 2, 3, 4, 5]);
      expect(asked).toEqual([null, 'b', 'c']);
    });

    it('reads a missing list as empty, and stops on a repeated cursor instead of looping', async () => {
      expect(await collectPages(async () => undefined)).toEqual([]);
      await expect(collectPages(async () => ({ items: [1], nextCursor: 'again' }))).rejects.toThrow(
        'effects: the list repeated cursor again',
      );
    });

    it('asks for the largest page, and passes the cursor after any query the path has', () => {
      expect(pageOf('/v1/citizens/c/debts', null)).toBe('/v1/citizens/c/debts?limit=200');
      expect(pageOf('/admin/messages?correlationId=x', 'abc')).toBe(
        '/admin/messages?correlationId=x&limit=200&cursor=abc',
      );
    });
  });

  describe('against a running app', () => {
    const t = useTestApp({ env: { RATE_LIMIT_PER_MINUTE: '100000', RECONCILIATION_INTERVAL_MS: '3600000' } });
    const citizenId = `effects-${randomUUID().slice(0, 8)}`;

    it('reads a debt, a citizen’s debts and what they owe; an unknown debt is undefined', async () => {
      const read = effects(t);
      const debt = await registerDebt(t, citizenId, 4_200);
      expect(await read.debt(debt.id)).toMatchObject({
        id: debt.id,
        citizenId,
        outstanding: 4_200,
        status: 'outstanding',
      });
      expect((await read.debtsOf(citizenId)).map((d) => d.id)).toEqual([debt.id]);
      expect(await read.outstandingDebts(citizenId)).toEqual([{ id: debt.id, outstanding: 4_200, currency: 'SAR' }]);
      expect(await read.debt(randomUUID())).toBeUndefined();
      expect(await read.debtsOf(`nobody-${randomUUID().slice(0, 8)}`)).toEqual([]);
    });

    it('reads an order, a SKU’s stock, and the ledger entries a debt registration posted', async () => {
      const read = effects(t);
      const buyer = customer();
      const sku = await stockedSku(t, 1_250, [
        { location: { id: `eff-${randomUUID().slice(0, 8)}`, lat: 24.8, lon: 46.6 }, onHand: 3 },
      ]);
      const placed = await placeOrder(t, buyer, [{ sku, quantity: 2 }]);
      expect(placed.status).toBe(202);
      await eventually(async () =>
        expect(await read.order(placed.body.id)).toMatchObject({
          id: placed.body.id,
          customerId: buyer.sub,
          total: placed.body.total,
          status: 'reserved',
        }),
      );
      expect(await read.order(randomUUID())).toBeUndefined();
      expect(await read.stock(sku)).toEqual({
        sku,
        locations: [expect.objectContaining({ sku, onHand: 3, reserved: 2, available: 1 })],
        totalAvailable: 1,
      });
      expect(await read.stock(`no-sku-${randomUUID().slice(0, 8)}`)).toBeUndefined();

      const owing = `effects-led-${randomUUID().slice(0, 8)}`;
      const debt = await registerDebt(t, owing, 700);
      expect(await read.ledgerEntries(`debt-${debt.id}`, 'debt-registered')).toEqual([
        { account: `citizen:${owing}:receivable`, amount: 700, currency: 'SAR' },
        { account: 'revenue:fine', amount: -700, currency: 'SAR' },
      ]);
      expect(await read.ledgerEntries(`debt-${debt.id}`, 'no-such-kind')).toEqual([]);
    });

    it('throws on an answer that is neither 200 nor 404, with its status', async () => {
      await expect(effects(t).debt('not-a-uuid')).rejects.toThrow(/GET \/v1\/debts\/not-a-uuid answered 400/);
    });

    it('reads a payment through the payments facade, and the ledger once it is confirmed', async () => {
      const read = effects(t);
      const payer = `effects-pay-${randomUUID().slice(0, 8)}`;
      const debt = await registerDebt(t, payer, 3_000);
      const res = await pay(t, { sub: payer, roles: ['citizen'] }, { referenceId: debt.id, amount: 3_000 });
      expect(res.status).toBe(202);
      expect(await read.payment(randomUUID())).toBeUndefined();
      await eventually(async () => expect(await read.payment(res.body.id)).toMatchObject({ status: 'confirmed' }));
      await eventually(async () =>
        expect(await read.debt(debt.id)).toMatchObject({ status: 'settled', outstanding: 0 }),
      );
      await eventually(async () => expect(await read.ledgerBalance(`citizen:${payer}:receivable`)).toBe(0));
      expect(await read.ledgerBalance(`citizen:nobody-${randomUUID().slice(0, 8)}:receivable`)).toBe(0);
      await eventually(async () =>
        expect(await read.citizenBalances(payer)).toEqual([
          { currency: 'SAR', owed: 3_000n, paid: 3_000n, outstanding: 0n },
        ]),
      );
    });

    it('reads a licence application, and the journeys of the events one request caused', async () => {
      const read = effects(t);
      const applicant = `effects-lic-${randomUUID().slice(0, 8)}`;
      await registerDebt(t, applicant, 500);
      const res = await request(t.url)
        .post('/v1/licences/applications')
        .set('Authorization', `Bearer ${t.token({ sub: applicant, roles: ['citizen'] })}`)
        .send({ citizenId: applicant, activity: 'bakery', premisesAddress: '1 King Fahd Road, Riyadh' });
      expect(res.status).toBe(201);
      expect(await read.application(res.body.id)).toMatchObject({ id: res.body.id, status: 'blocked' });
      expect((await read.applicationsOf(applicant)).map((a) => a.id)).toEqual([res.body.id]);

      const correlationId = res.headers['x-correlation-id'];
      expect(correlationId).toEqual(expect.any(String));
      const journeys = await read.journeysOf(correlationId);
      expect(journeys.map((j) => j.envelope.type)).toContain('licences.application-blocked');
      const blocked = journeys.find((j) => j.envelope.type === 'licences.application-blocked')!;
      expect(await read.journey(blocked.envelope.id)).toMatchObject({ envelope: { id: blocked.envelope.id } });
      expect(await read.journey(randomUUID())).toBeUndefined();
    });
  });
});
