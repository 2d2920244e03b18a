import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { LedgerApi } from '../../src/modules/ledger/index.js';
import { eventually } from '../support/eventually.js';
import { api } from '../support/api-client.js';
import { useTestApp } from '../support/scenario.js';

const PROBLEM_JSON = /^application\/problem\+json/;
const b64 = (text: string | Buffer) => Buffer.from(text).toString('base64url');

/**
 * Point 8 of issue 12: bad input gets a 4xx, never a 500. Every paged list refuses a cursor it did
 * not hand out with a 400 problem; money sums are exact or refused clearly.
 */
describe('bad input is a 4xx, never a 500', () => {
  const t = useTestApp({ env: { RATE_LIMIT_PER_MINUTE: '100000', RECONCILIATION_INTERVAL_MS: '3600000' } });
  let db: DataSource;
  let client: ReturnType<typeof api>;

  beforeAll(async () => {
    db = t.app.get(DataSource);
    client = api(t);
  });

  describe('tampered cursors', () => {
    const citizenId = `cit-cursor-${randomUUID().slice(0, 8)}`;
    const citizenAuth = () => client.as(citizenId, ['citizen']);

    /** Every paged list the app serves, with a principal that may read it. */
    const lists = (): Array<[string, string, () => string]> => [
      ['debts by citizen', `/v1/citizens/${citizenId}/debts`, citizenAuth],
      ['licence applications by citizen', `/v1/citizens/${citizenId}/licences/applications`, citizenAuth],
      ['admin dead letters', '/admin/dead-letters', () => client.admin],
      ['admin messages by correlation id', '/admin/messages?correlationId=corr-cursor', () => client.admin],
      ['reconciliation runs', '/admin/reconciliation/runs', () => client.admin],
      ['reconciliation findings', '/admin/reconciliation/findings', () => client.admin],
    ];

    const tampered: Array<[string, string]> = [
      ['garbage', 'not*a*cursor!'],
      ['URL-encoded NUL and quote', '%00%27'],
      ['valid base64url of the wrong shape', b64('hello, world')],
      ['base64url of a negative offset', b64('-1')],
      ['base64url of a number past bigint', b64('99999999999999999999')],
      ['base64url of a uuid followed by SQL', b64(`${randomUUID()}' OR '1'='1`)],
      ['base64url of SQL', b64('0; DROP TABLE debts_debt; --')],
      ['base64url of bytes that are not UTF-8', b64(Buffer.from([0xc3, 0x28, 0xff]))],
      ['raw SQL', encodeURIComponent("1' OR 1=1 --")],
      ['a padded cursor', `${b64(randomUUID())}=`],
      ['a repeated parameter', `${b64('1')}&cursor=${b64('2')}`],
      ['an over-long cursor', 'A'.repeat(400)],
      ['a bare number past bigint (the old offset format)', '99999999999999999999'],
      ['a bare number in exponent form', '1e308'],
    ];

    beforeAll(async () => {
      // Two debts, so the first page of the debt list has a cursor to compare against.
      for (let i = 0; i < 2; i += 1) {
        const res = await client.registerDebt({
          citizenId,
          reference: `REF-cursor-${randomUUID()}`,
          kind: 'fee',
          amount: 100,
          currency: 'SAR',
        });
        expect(res.status).toBe(201);
      }
    });

    it.each(lists())(
      '%s: answers its first page, and a tampered cursor with a 400 problem',
      async (_name, path, auth) => {
        const sep = path.includes('?') ? '&' : '?';
        const first = await request(t.url).get(`${path}${sep}limit=1`).set('Authorization', auth());
        expect(first.status).toBe(200);
        for (const [label, cursor] of tampered) {
          const res = await request(t.url).get(`${path}${sep}cursor=${cursor}`).set('Authorization', auth());
          expect({ label, status: res.status }).toEqual({ label, status: 400 });
          expect(res.headers['content-type']).toMatch(PROBLEM_JSON);
          expect(res.body).toMatchObject({ status: 400, type: '/problems/validation-failed' });
          expect(res.body.errors).toEqual(expect.arrayContaining([{ field: 'cursor', message: expect.any(String) }]));
          expect(res.body.errors.every((error: { field: string }) => error.field === 'cursor')).toBe(true);
        }
      },
    );

    it("refuses one list's cursor on another list of another key shape", async () => {
      const debts = await request(t.url)
        .get(`/v1/citizens/${citizenId}/debts?limit=1`)
        .set('Authorization', citizenAuth());
      expect(debts.body.nextCursor).toEqual(expect.any(String));
      // A uuid cursor on an offset list, and an offset cursor on a uuid list.
      const onDeadLetters = await request(t.url)
        .get(`/admin/dead-letters?cursor=${debts.body.nextCursor}`)
        .set('Authorization', client.admin);
      expect(onDeadLetters.status).toBe(400);
      const onDebts = await request(t.url)
        .get(`/v1/citizens/${citizenId}/debts?cursor=${b64('50')}`)
        .set('Authorization', citizenAuth());
      expect(onDebts.status).toBe(400);
      // The debt list's own cursor still works.
      const next = await request(t.url)
        .get(`/v1/citizens/${citizenId}/debts?limit=1&cursor=${debts.body.nextCursor}`)
        .set('Authorization', citizenAuth());
      expect(next.status).toBe(200);
      expect(next.body.items).toHaveLength(1);
      expect(next.body.items[0].id).not.toBe(debts.body.items[0].id);
    });
  });

  describe('NUL characters, which no PostgreSQL text holds', () => {
    it.each([
      '/v1/citizens/%00/licences/applications',
      '/v1/citizens/a%00b/debts',
      '/admin/messages?correlationId=%00',
      '/admin/dead-letters?subscriber=%00',
      '/admin/dead-letters?type=a%00',
      '/admin/dead-letters?error=%00b',
    ])('GET %s is a 400 problem', async (path) => {
      const res = await request(t.url).get(path).set('Authorization', client.admin);
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(PROBLEM_JSON);
      expect(res.body.type).toBe('/problems/validation-failed');
    });

    it('is a 400 in a JSON body too, naming the field', async () => {
      const res = await client.apply(
        { citizenId: 'cit-nul', activity: 'bak\u0000ery', premisesAddress: 'Riyadh' },
        client.as('cit-nul', ['citizen']),
      );
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual([{ field: 'activity', message: expect.stringContaining('NUL') }]);
    });
  });

  describe("a citizen's total outstanding", () => {
    /**
     * Puts `count` receivable entries of `amount` on the citizen's ledger account: all but the last
     * straight into the table, as a bulk import might, and the last through the ledger, whose event
     * makes the citizen-balances projection recompute the citizen from every entry.
     */
    async function insertDebts(citizenId: string, amount: string, count: number): Promise<void> {
      await db.query(
        `INSERT INTO ledger_entry (id, source, kind, account, amount, currency)
         SELECT gen_random_uuid(), 'import-' || gen_random_uuid(), 'test-import', a.account, a.sign * $2::bigint, 'SAR'
         FROM generate_series(1, $3::int - 1) AS n,
              (VALUES ('citizen:' || $1 || ':receivable', 1), ('revenue:tax', -1)) AS a(account, sign)`,
        [citizenId, amount, count],
      );
      await db.transaction((tx) =>
        t.app.get(LedgerApi).post(tx, {
          source: `import-${randomUUID()}`,
          kind: 'test-import',
          currency: 'SAR',
          legs: [
            { account: `citizen:${citizenId}:receivable`, amount: Number(amount) },
            { account: 'revenue:tax', amount: -Number(amount) },
          ],
        }),
      );
    }
    const total = async (citizenId: string) =>
      request(t.url).get(`/v1/citizens/${citizenId}/debts?limit=1`).set('Authorization', client.service);

    it('is exact up to 2^53 - 1 minor units', async () => {
      const citizenId = `cit-sum-max-${randomUUID().slice(0, 8)}`;
      await insertDebts(citizenId, String(2 ** 52), 1);
      await insertDebts(citizenId, String(2 ** 52 - 1), 1);
      await eventually(async () => {
        const res = await total(citizenId);
        expect(res.status).toBe(200);
        expect(res.body.totalOutstanding).toBe(Number.MAX_SAFE_INTEGER);
      });
    });

    it('is refused with a clear 422, not rounded, just above 2^53 - 1', async () => {
      const citizenId = `cit-sum-over-${randomUUID().slice(0, 8)}`;
      // 2^52 + 2^52 + 1 = 2^53 + 1, which a JSON number would silently round to 2^53.
      await insertDebts(citizenId, String(2 ** 52), 2);
      await insertDebts(citizenId, '1', 1);
      const res = await eventually(async () => {
        const answer = await total(citizenId);
        expect(answer.status).toBe(422);
        return answer;
      });
      expect(res.headers['content-type']).toMatch(PROBLEM_JSON);
      expect(res.body.type).toBe('/problems/amount-out-of-range');
      expect(res.body.detail).toContain(String(Number.MAX_SAFE_INTEGER));
    });

    it('is refused with a 422, not a 500, past what a PostgreSQL bigint holds', async () => {
      const citizenId = `cit-sum-bigint-${randomUUID().slice(0, 8)}`;
      // 1100 debts of 2^53 - 1 sum to about 9.9e18 > 2^63 - 1 (the old ::bigint cast failed here).
      await insertDebts(citizenId, String(Number.MAX_SAFE_INTEGER), 1100);
      const res = await eventually(async () => {
        const answer = await total(citizenId);
        expect(answer.status).toBe(422);
        return answer;
      });
      expect(res.body.type).toBe('/problems/amount-out-of-range');
    });
  });
});
