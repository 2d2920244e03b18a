import { DataSource } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { CitizenClearedV1 } from '../../src/modules/debts/index.js';
import { OutboxWriter } from '../../src/outbox/index.js';
import { api, reference } from '../support/api-client.js';
import { effects } from '../support/effects.js';
import { eventually } from '../support/eventually.js';
import { useTestApp } from '../support/scenario.js';

describe('licences', () => {
  const t = useTestApp();
  let client: ReturnType<typeof api>;

  beforeAll(async () => {
    client = api(t);
  });

  const citizen = (id: string) => client.as(id, ['citizen']);
  const application = (citizenId: string) => ({ citizenId, activity: 'bakery', premisesAddress: '1 King Fahd Rd' });

  it('issues at once to a citizen who owes nothing', async () => {
    const res = await client.apply(application('lic-clear'), citizen('lic-clear'));
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ status: 'issued', blockingDebtIds: [], citizenId: 'lic-clear' });
    expect(res.body.licenceNumber).toMatch(/^LIC-\d{8}$/);
    expect(res.body.issuedAt).not.toBeNull();
    // The answer is built from the insert, not read back: it must be what a read gives.
    expect((await client.getApplication(res.body.id, citizen('lic-clear'))).body).toEqual(res.body);
  });

  it('blocks a citizen with outstanding debts, listing them, and issues once when the citizen is cleared', async () => {
    const citizenId = `lic-blocked-${Date.now()}`;
    const { body: debt } = await client.registerDebt({
      citizenId,
      reference: reference(),
      kind: 'fine',
      amount: 300,
      currency: 'SAR',
    });
    const blocked = await client.apply(application(citizenId), citizen(citizenId));
    expect(blocked.body).toMatchObject({ status: 'blocked', blockingDebtIds: [debt.id], licenceNumber: null });
    expect((await client.getApplication(blocked.body.id, citizen(citizenId))).body).toEqual(blocked.body);
    const second = await client.apply({ ...application(citizenId), activity: 'cafe' }, citizen(citizenId));
    expect(second.body.status).toBe('blocked');

    // Settled outside any event (as if by hand), then the clearance arrives twice.
    const dataSource = t.app.get(DataSource);
    await dataSource.query(
      `UPDATE debts_debt SET outstanding = 0, status = 'settled', settled_at = now() WHERE id = $1`,
      [debt.id],
    );
    for (let i = 0; i < 2; i++) {
      await dataSource.transaction((tx) =>
        t.app
          .get(OutboxWriter)
          .append(tx, { contract: CitizenClearedV1, aggregateId: citizenId, payload: { citizenId } }),
      );
    }
    await eventually(async () => {
      for (const id of [blocked.body.id, second.body.id]) {
        expect((await client.getApplication(id, citizen(citizenId))).body.status).toBe('issued');
      }
    });
    await eventually(async () => {
      const [{ handled }] = await dataSource.query(
        `SELECT count(*)::int AS handled FROM outbox_delivery d JOIN outbox_event e ON e.id = d.event_id
         WHERE e.type = 'debts.citizen-cleared' AND e.aggregate_id = $1 AND d.state = 'handled'`,
        [citizenId],
      );
      expect(handled).toBe(2);
    });
    const [{ n }] = await dataSource.query(
      `SELECT count(*)::int AS n FROM (SELECT payload FROM outbox_event WHERE type = 'licences.licence-issued'
         UNION ALL SELECT payload FROM outbox_message WHERE type = 'licences.licence-issued') e
       WHERE (payload->>'citizenId') = $1`,
      [citizenId],
    );
    expect(n).toBe(2);
    const numbers = (await effects(t).applicationsOf(citizenId)).map((application) => application.licenceNumber);
    expect(new Set(numbers).size).toBe(2);
  });

  it('lets citizens apply and read only for themselves', async () => {
    expect((await client.apply(application('lic-a'), citizen('lic-b'))).status).toBe(404);
    const mine = await client.apply(application('lic-a'), citizen('lic-a'));
    expect((await client.getApplication(mine.body.id, citizen('lic-b'))).status).toBe(404);
    expect((await client.getApplication(mine.body.id, client.admin)).status).toBe(200);
    expect((await client.getApplication(uuidv7(), client.admin)).status).toBe(404);
    expect((await client.apply(application('lic-a'), client.service)).status).toBe(403);
    expect((await client.apply({ ...application('lic-a'), status: 'issued' }, citizen('lic-a'))).status).toBe(400);
  });
});
