import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { PaymentConfirmedV1 } from '../../src/modules/payments/index.js';
import { OutboxWriter } from '../../src/outbox/index.js';
import { effects } from '../support/effects.js';
import { eventually } from '../support/eventually.js';
import { applyForLicence, newCitizenId, reconciliationClient, registerDebt } from '../support/reconciliation.js';
import { useTestApp } from '../support/scenario.js';

const RECONCILER = 'licences-issue-cleared-blocked';
const LICENCE_SUBSCRIBER = 'licences.issue-licences-when-citizen-cleared';

describe('reconciler: blocked applications of cleared citizens are issued', () => {
  const t = useTestApp({ env: { RECONCILIATION_INTERVAL_MS: '3600000' } });
  let rc: ReturnType<typeof reconciliationClient>;

  beforeAll(async () => {
    rc = reconciliationClient(t);
    await rc.afterStartRuns(RECONCILER);
  });

  /** The application as its owner sees it (GET /v1/licences/applications/{id}). */
  const application = async (id: string) => {
    const found = await effects(t).application(id);
    if (!found) throw new Error(`application ${id} not found`);
    return found;
  };

  it('issues a blocked application whose citizen was cleared without an event, exactly once across two runs', async () => {
    const cleared = newCitizenId('cleared');
    const owing = newCitizenId('owing');
    const debt = await registerDebt(t, cleared, 500);
    await registerDebt(t, owing, 200);
    const blocked = await applyForLicence(t, cleared);
    const stillOwing = await applyForLicence(t, owing);
    expect([blocked.status, stillOwing.status]).toEqual(['blocked', 'blocked']);
    // Settled behind the system's back: no payment, no debt-settled, no citizen-cleared event.
    await rc.db.query(`UPDATE debts_debt SET outstanding = 0, status = 'settled', settled_at = now() WHERE id = $1`, [
      debt.id,
    ]);

    const first = await rc.run(RECONCILER);

    expect(first).toMatchObject({ status: 'succeeded', findings: 1, healed: 1, exceptions: 0 });
    const issued = await application(blocked.id);
    expect(issued.status).toBe('issued');
    expect(issued.licenceNumber).toMatch(/^LIC-\d{8}$/);
    expect((await application(stillOwing.id)).status).toBe('blocked');
    const [finding] = await rc.findings(RECONCILER, `citizen:${cleared}`);
    expect(finding).toMatchObject({
      status: 'healed',
      first_run_id: first.id,
      details: { citizenId: cleared, applicationIds: [blocked.id] },
    });
    expect(await rc.findings(RECONCILER, `citizen:${owing}`)).toEqual([]);
    const events = await rc.events('licences.licence-issued', 'applicationId', blocked.id);
    expect(events).toHaveLength(1);
    expect(events[0].correlation_id).toBe(first.correlation_id);

    const second = await rc.run(RECONCILER);

    expect(second).toMatchObject({ status: 'succeeded', findings: 0, healed: 0 });
    expect(await rc.events('licences.licence-issued', 'applicationId', blocked.id)).toHaveLength(1);
    expect(await rc.findings(RECONCILER, `citizen:${cleared}`)).toHaveLength(1);
    expect((await application(blocked.id)).licenceNumber).toBe(issued.licenceNumber);
  });

  it('heals the licence listener failing on purpose: the reconciler issues, the listener later finds nothing to do', async () => {
    // The fault: every delivery to the licence listener fails inside its transaction (the inbox row
    // it must commit with its writes is refused), as a broken listener or its database outage would.
    // Injected in this test's own database; no production code knows about it.
    await rc.db.query(`
      CREATE FUNCTION test_licence_listener_down() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'injected fault: the licence listener is down';
      END $$`);
    await rc.db.query(`
      CREATE TRIGGER test_licence_listener_down BEFORE INSERT ON outbox_inbox FOR EACH ROW
      WHEN (NEW.subscriber = '${LICENCE_SUBSCRIBER}') EXECUTE FUNCTION test_licence_listener_down()`);
    const faultOff = async () => {
      await rc.db.query(`DROP TRIGGER IF EXISTS test_licence_listener_down ON outbox_inbox`);
      await rc.db.query(`DROP FUNCTION IF EXISTS test_licence_listener_down()`);
    };

    try {
      const citizenId = newCitizenId('listener');
      const debt = await registerDebt(t, citizenId, 800);
      const blocked = await applyForLicence(t, citizenId);
      expect(blocked.status).toBe('blocked');

      // The citizen pays: the real debts listener settles the debt and publishes citizen-cleared.
      const paymentId = randomUUID();
      await rc.db.transaction((tx) =>
        t.app.get(OutboxWriter).append(tx, {
          contract: PaymentConfirmedV1,
          aggregateId: paymentId,
          payload: {
            paymentId,
            purpose: 'debt',
            referenceId: debt.id,
            amount: 800,
            currency: 'SAR',
            gatewayRef: `test-${paymentId}`,
          },
        }),
      );
      const cleared = await eventually(async () => {
        const [delivery] = await rc.db.query(
          `SELECT d.event_id, d.state, d.attempts, d.last_error, e.correlation_id
           FROM outbox_delivery d JOIN outbox_event e ON e.id = d.event_id
           WHERE e.type = 'debts.citizen-cleared' AND e.aggregate_id = $1 AND d.subscriber = $2`,
          [citizenId, LICENCE_SUBSCRIBER],
        );
        expect(delivery).toMatchObject({ state: 'enqueued', last_error: expect.stringMatching(/injected fault/) });
        return delivery as { event_id: string; correlation_id: string };
      });
      expect((await application(blocked.id)).status).toBe('blocked');

      const run = await rc.run(RECONCILER);

      expect(run).toMatchObject({ status: 'succeeded', healed: 1 });
      expect((await application(blocked.id)).status).toBe('issued');
      const events = await rc.events('licences.licence-issued', 'applicationId', blocked.id);
      expect(events).toHaveLength(1);
      expect(events[0].correlation_id).toBe(run.correlation_id);
      expect(run.correlation_id).not.toBe(cleared.correlation_id);

      // The listener recovers; its retry of citizen-cleared commits and issues nothing more.
      await faultOff();
      await eventually(
        async () => {
          const [delivery] = await rc.db.query(
            `SELECT state FROM outbox_delivery WHERE event_id = $1 AND subscriber = $2`,
            [cleared.event_id, LICENCE_SUBSCRIBER],
          );
          expect(delivery.state).toBe('handled');
        },
        { timeoutMs: 60_000, intervalMs: 200 },
      );
      expect(await rc.events('licences.licence-issued', 'applicationId', blocked.id)).toHaveLength(1);
      const citizen = `Bearer ${t.token({ sub: citizenId, roles: ['citizen'] })}`;
      const view = await request(t.url).get(`/v1/licences/applications/${blocked.id}`).set('Authorization', citizen);
      expect(view.body).toMatchObject({ status: 'issued', licenceNumber: expect.stringMatching(/^LIC-\d{8}$/) });
    } finally {
      await faultOff();
    }
  }, 90_000);
});
