import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { IdempotencyService, type Principal, principalScope } from '../../src/platform/index.js';
import {
  createProbeEffectTable,
  IdempotentProbeController,
  PROBE_EFFECT_TABLE,
  probeGates,
} from '../support/idempotent-probe.controller.js';
import { consistently, eventually } from '../support/eventually.js';
import { outboxTestSetup } from '../support/outbox-fixtures.js';
import { useTestApp } from '../support/scenario.js';

const PROBLEM_JSON = /^application\/problem\+json/;
const PATH = '/probe/idempotent';

describe('Idempotency-Key', () => {
  // Only the API role: outbox rows stay in outbox_message, where they can be counted.
  const t = useTestApp({
    ...outboxTestSetup([]),
    controllers: [IdempotentProbeController],
    env: { APP_ROLES: 'api', IDEMPOTENCY_TTL_HOURS: '1', RATE_LIMIT_PER_MINUTE: '100000' },
  });
  let dataSource: DataSource;

  beforeAll(async () => {
    dataSource = t.app.get(DataSource);
    await createProbeEffectTable(dataSource);
  });

  const alice = { sub: 'citizen-alice', roles: ['citizen' as const] };
  const bob = { sub: 'citizen-bob', roles: ['citizen' as const] };
  const newKey = () => `key-${randomUUID()}`;
  const newName = (label: string) => `${label}-${randomUUID().slice(0, 8)}`;

  function post(key: string | undefined, body: object | string, principal: Principal = alice, path = PATH) {
    let req = request(t.url)
      .post(path)
      .set('Authorization', `Bearer ${t.token(principal)}`);
    if (key !== undefined) req = req.set('Idempotency-Key', key);
    if (typeof body === 'string') req = req.set('Content-Type', 'application/json');
    return req.send(body);
  }

  /** Effect rows and outbox rows the probe command committed for `name`. */
  async function committed(name: string): Promise<{ effects: number; events: number }> {
    const [row] = await dataSource.query(
      `SELECT (SELECT count(*)::int FROM ${PROBE_EFFECT_TABLE} WHERE name = $1) AS effects,
              (SELECT count(*)::int FROM outbox_message WHERE payload->>'key' = $1) AS events`,
      [name],
    );
    return row;
  }

  async function keyRows(key: string): Promise<Array<{ scope: string; status: string; fingerprint: string }>> {
    return dataSource.query(`SELECT scope, status, fingerprint FROM platform_idempotency_key WHERE key = $1`, [key]);
  }

  it('answers a request without Idempotency-Key with 400 idempotency-key-required and runs nothing', async () => {
    const name = newName('missing');
    const res = await post(undefined, { name });
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(PROBLEM_JSON);
    expect(res.body).toMatchObject({ type: '/problems/idempotency-key-required', status: 400 });
    expect(await committed(name)).toEqual({ effects: 0, events: 0 });
  });

  it('answers a key that is too long, empty or not printable ASCII with 400 idempotency-key-invalid', async () => {
    const name = newName('invalid');
    const invalid = [
      'x'.repeat(300),
      'x'.repeat(256),
      '',
      'clé', // Latin-1 byte 0xE9 on the wire
      Buffer.from('key-🔑', 'utf8').toString('latin1'), // UTF-8 bytes on the wire
      'a\tb',
    ];
    for (const key of invalid) {
      const res = await post(key, { name });
      expect({ key, status: res.status, type: res.body.type }).toEqual({
        key,
        status: 400,
        type: '/problems/idempotency-key-invalid',
      });
      expect(res.headers['content-type']).toMatch(PROBLEM_JSON);
    }
    expect(await committed(name)).toEqual({ effects: 0, events: 0 });

    const longest = await post('~'.repeat(255), { name });
    expect(longest.status).toBe(201);
    expect(await committed(name)).toEqual({ effects: 1, events: 1 });
  });

  it('replays the first status and body with Idempotent-Replayed: true, without running the command again', async () => {
    const key = newKey();
    const name = newName('replay');
    const first = await post(key, { name });
    expect(first.status).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    expect(first.body).toMatchObject({ name, scope: principalScope(alice) });

    for (let i = 0; i < 2; i += 1) {
      const again = await post(key, { name });
      expect(again.status).toBe(201);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.headers['content-type']).toMatch(/^application\/json/);
      expect(again.body).toEqual(first.body);
    }
    expect(await committed(name)).toEqual({ effects: 1, events: 1 });
    expect(await keyRows(key)).toEqual([
      expect.objectContaining({ scope: principalScope(alice), status: 'completed' }),
    ]);
  });

  it("runs the command with the session's lock_timeout, not the short one of the key claim", async () => {
    const [{ lock_timeout: session }] = await dataSource.query(
      `SELECT current_setting('lock_timeout') AS lock_timeout`,
    );
    const res = await post(newKey(), { name: newName('lock-timeout') });
    expect(res.status).toBe(201);
    expect(res.body.lockTimeout).toBe(session);
  });

  it('answers the same key with another body or path with 422 idempotency-key-reused', async () => {
    const key = newKey();
    const name = newName('reused');
    expect((await post(key, { name })).status).toBe(201);

    const otherBody = await post(key, { name: `${name}-x` });
    expect(otherBody.status).toBe(422);
    expect(otherBody.headers['content-type']).toMatch(PROBLEM_JSON);
    expect(otherBody.body).toMatchObject({ type: '/problems/idempotency-key-reused', status: 422 });

    const otherPath = await post(key, { name }, alice, `${PATH}/other`);
    expect(otherPath.status).toBe(422);
    expect(otherPath.body.type).toBe('/problems/idempotency-key-reused');

    expect(await committed(name)).toEqual({ effects: 1, events: 1 });
    expect(await committed(`${name}-x`)).toEqual({ effects: 0, events: 0 });
  });

  it('computes the fingerprint from canonical JSON: key order in the body does not matter', async () => {
    const key = newKey();
    const name = newName('order');
    const first = await post(key, `{"name":"${name}","tags":{"a":1,"b":{"c":[1,{"x":1,"y":2}],"d":"e"}}}`);
    expect(first.status).toBe(201);

    const reordered = await post(
      key,
      `{ "tags": { "b": { "d": "e", "c": [1, { "y": 2, "x": 1 }] }, "a": 1 }, "name": "${name}" }`,
    );
    expect(reordered.status).toBe(201);
    expect(reordered.headers['idempotent-replayed']).toBe('true');
    expect(reordered.body).toEqual(first.body);

    // Array order is data: a different order is a different body.
    const arrayReordered = await post(key, `{"name":"${name}","tags":{"a":1,"b":{"c":[{"x":1,"y":2},1],"d":"e"}}}`);
    expect(arrayReordered.status).toBe(422);
    expect(await committed(name)).toEqual({ effects: 1, events: 1 });
  });

  it('answers 409 idempotency-key-in-use with Retry-After while the first request is in flight, then replays it', async () => {
    const key = newKey();
    const name = newName('in-flight');
    const gate = probeGates.prepare(name);
    const first = post(key, { name, hold: name }).then((res) => res);
    await Promise.race([
      gate.entered,
      first.then((res) => Promise.reject(new Error(`first request ended before its command ran: ${res.status}`))),
    ]);

    try {
      const same = await post(key, { name, hold: name });
      expect(same.status).toBe(409);
      expect(same.headers['content-type']).toMatch(PROBLEM_JSON);
      expect(same.headers['retry-after']).toBe('1');
      expect(same.body).toMatchObject({ type: '/problems/idempotency-key-in-use', status: 409 });

      // While the first is uncommitted its fingerprint is unknown to others: in use, not reused.
      const otherBody = await post(key, { name: `${name}-x` });
      expect(otherBody.status).toBe(409);
      expect(otherBody.headers['retry-after']).toBe('1');
    } finally {
      gate.release();
    }

    const firstRes = await first;
    expect(firstRes.status).toBe(201);
    expect(firstRes.headers['idempotent-replayed']).toBeUndefined();
    const replay = await post(key, { name, hold: name });
    expect(replay.status).toBe(201);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body).toEqual(firstRes.body);
    expect(await committed(name)).toEqual({ effects: 1, events: 1 });
  });

  it('answers 409 only for a request holding the key: any other wait in the claim is an ordinary wait', async () => {
    // A writer that is not a request (no key lock) holds the key's unique-index entry. The request's
    // insert waits for it well past the 100 ms claim bound, then claims the key once it rolls back.
    // (Under load the same kind of wait, on a relation extension, once answered 409 to fresh keys.)
    const key = newKey();
    const name = newName('foreign-wait');
    const foreign = dataSource.createQueryRunner();
    await foreign.connect();
    try {
      await foreign.startTransaction();
      await foreign.query(
        `INSERT INTO platform_idempotency_key (scope, key, fingerprint, status, created_at, expires_at)
         VALUES ($1, $2, 'foreign', 'in_flight', now(), now() + interval '1 hour')`,
        [principalScope(alice), key],
      );
      let settled = false;
      const res = post(key, { name }).then((r) => {
        settled = true;
        return r;
      });
      await eventually(async () => {
        const [{ waiting }] = await dataSource.query(
          `SELECT count(*)::int AS waiting FROM pg_stat_activity
           WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%platform_idempotency_key%'`,
        );
        expect(waiting).toBe(1);
      });
      // Still waiting for three times the claim's bound: the window is the assertion.
      await consistently(() => expect(settled).toBe(false), { within: 300 });
      await foreign.rollbackTransaction();
      const answer = await res;
      expect(answer.status).toBe(201);
      expect(await committed(name)).toEqual({ effects: 1, events: 1 });
    } finally {
      if (foreign.isTransactionActive) await foreign.rollbackTransaction();
      await foreign.release();
    }
  });

  it('stores nothing for a thrown error: effect, outbox row and key roll back, and a retry with the same key succeeds', async () => {
    const key = newKey();
    const name = newName('throw-once');
    const failed = await post(key, { name, fail: 'throw-once' });
    expect(failed.status).toBe(500);
    expect(failed.body.type).toBe('/problems/internal-error');
    expect(failed.headers['idempotent-replayed']).toBeUndefined();
    expect(await committed(name)).toEqual({ effects: 0, events: 0 });
    expect(await keyRows(key)).toEqual([]);

    const retried = await post(key, { name, fail: 'throw-once' });
    expect(retried.status).toBe(201);
    expect(retried.headers['idempotent-replayed']).toBeUndefined();
    expect(await committed(name)).toEqual({ effects: 1, events: 1 });
    expect((await post(key, { name, fail: 'throw-once' })).headers['idempotent-replayed']).toBe('true');
  });

  it('stores nothing for a 5xx the command answers: it is not replayed and the key stays free', async () => {
    const key = newKey();
    const name = newName('answer-503');
    for (let i = 0; i < 2; i += 1) {
      const res = await post(key, { name, fail: 'answer-503' });
      expect(res.status).toBe(503);
      expect(res.headers['idempotent-replayed']).toBeUndefined();
      expect(res.body).toMatchObject({ name });
    }
    expect(await committed(name)).toEqual({ effects: 0, events: 0 });
    expect(await keyRows(key)).toEqual([]);

    // Nothing was stored, so another body under the key is not "reused".
    const other = await post(key, { name });
    expect(other.status).toBe(201);
    expect(await committed(name)).toEqual({ effects: 1, events: 1 });
  });

  it('scopes keys per principal: the same key from two principals makes two effects', async () => {
    const key = newKey();
    const name = newName('scope');
    const fromAlice = await post(key, { name }, alice);
    const fromBob = await post(key, { name }, bob);
    expect([fromAlice.status, fromBob.status]).toEqual([201, 201]);
    expect(fromBob.headers['idempotent-replayed']).toBeUndefined();
    expect(fromBob.body.effectId).not.toBe(fromAlice.body.effectId);
    expect(fromBob.body.scope).toBe(principalScope(bob));
    expect(await committed(name)).toEqual({ effects: 2, events: 2 });

    const aliceAgain = await post(key, { name }, alice);
    expect(aliceAgain.headers['idempotent-replayed']).toBe('true');
    expect(aliceAgain.body).toEqual(fromAlice.body);
    expect((await keyRows(key)).map((row) => row.scope).sort()).toEqual([principalScope(alice), principalScope(bob)]);
  });

  it("scopes keys by role and subject: a customer whose id is a citizen's shares no key with them", async () => {
    const key = newKey();
    const name = newName('role-scope');
    const asCustomer = { sub: alice.sub, roles: ['customer' as const] };
    const fromCitizen = await post(key, { name }, alice);
    const fromCustomer = await post(key, { name }, asCustomer);
    expect([fromCitizen.status, fromCustomer.status]).toEqual([201, 201]);
    expect(fromCustomer.headers['idempotent-replayed']).toBeUndefined();
    expect(fromCustomer.body.effectId).not.toBe(fromCitizen.body.effectId);
    expect(await committed(name)).toEqual({ effects: 2, events: 2 });
    // Another body under the customer scope is the customer's own business, not a reuse of the citizen's key.
    const otherBody = await post(key, { name: `${name}-x` }, { sub: alice.sub, roles: ['citizen', 'customer'] });
    expect(otherBody.status).toBe(201);
    expect((await keyRows(key)).map((row) => row.scope).sort()).toEqual(
      [`citizen:${alice.sub}`, `citizen,customer:${alice.sub}`, `customer:${alice.sub}`].sort(),
    );
  });

  it('keeps a key for IDEMPOTENCY_TTL_HOURS; after that the key is new again', async () => {
    const key = newKey();
    const name = newName('expiry');
    const first = await post(key, { name });
    expect(first.status).toBe(201);
    const [{ ttl }] = await dataSource.query(
      `SELECT extract(epoch FROM expires_at - created_at)::int AS ttl FROM platform_idempotency_key WHERE key = $1`,
      [key],
    );
    expect(ttl).toBe(3600);

    const expire = () =>
      dataSource.query(`UPDATE platform_idempotency_key SET expires_at = now() - interval '1 second' WHERE key = $1`, [
        key,
      ]);
    await expire();
    const sameBody = await post(key, { name });
    expect(sameBody.status).toBe(201);
    expect(sameBody.headers['idempotent-replayed']).toBeUndefined();
    expect(sameBody.body.effectId).not.toBe(first.body.effectId);
    expect(await committed(name)).toEqual({ effects: 2, events: 2 });

    await expire();
    const otherBody = await post(key, { name: `${name}-2` });
    expect(otherBody.status).toBe(201);
    expect(otherBody.headers['idempotent-replayed']).toBeUndefined();

    // The replaced row is live again and belongs to the latest request.
    const replay = await post(key, { name: `${name}-2` });
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body).toEqual(otherBody.body);
    expect((await post(key, { name })).status).toBe(422);
    expect(await keyRows(key)).toHaveLength(1);
  });

  it('makes exactly one effect from 50 parallel requests with one key; the others get 409 or a replay of the first', async () => {
    const key = newKey();
    const name = newName('parallel');
    // A slow command keeps the first in flight long enough for others to meet it.
    const body = { name, delayMs: 300 };
    const responses = await Promise.all(Array.from({ length: 50 }, () => post(key, body)));

    const originals = responses.filter((res) => res.status === 201 && res.headers['idempotent-replayed'] !== 'true');
    expect(originals).toHaveLength(1);
    const [original] = originals;
    let inUse = 0;
    for (const res of responses) {
      if (res === original) continue;
      if (res.status === 409) {
        inUse += 1;
        expect(res.body.type).toBe('/problems/idempotency-key-in-use');
        expect(res.headers['retry-after']).toBe('1');
      } else {
        expect({ status: res.status, replayed: res.headers['idempotent-replayed'], body: res.body }).toEqual({
          status: original.status,
          replayed: 'true',
          body: original.body,
        });
      }
    }
    expect(inUse).toBeGreaterThan(0);
    expect(await committed(name)).toEqual({ effects: 1, events: 1 });

    const after = await post(key, body);
    expect(after.headers['idempotent-replayed']).toBe('true');
    expect(after.body).toEqual(original.body);
  });

  it('prunes expired keys oldest first in bounded batches, skipping live ones', async () => {
    const scope = `prune-${randomUUID()}`;
    await dataSource.query(
      `INSERT INTO platform_idempotency_key (scope, key, fingerprint, status, response_status, response_body, expires_at)
       VALUES ($1, 'old-3', 'f', 'completed', 201, '{}', now() - interval '30 days'),
              ($1, 'old-2', 'f', 'completed', 201, '{}', now() - interval '20 days'),
              ($1, 'old-1', 'f', 'completed', 201, '{}', now() - interval '10 days'),
              ($1, 'live', 'f', 'completed', 201, '{}', now() + interval '1 hour')`,
      [scope],
    );
    const keysLeft = async () =>
      (await dataSource.query(`SELECT key FROM platform_idempotency_key WHERE scope = $1 ORDER BY key`, [scope])).map(
        (row: { key: string }) => row.key,
      );
    const service = t.app.get(IdempotencyService);

    expect(await service.pruneExpired(2)).toBe(2);
    expect(await keysLeft()).toEqual(['live', 'old-1']);
    while ((await service.pruneExpired(2)) === 2);
    expect(await keysLeft()).toEqual(['live']);
  });

  it('documents the Idempotency-Key header in the OpenAPI document', async () => {
    const res = await request(t.url).get('/docs-json');
    expect(res.status).toBe(200);
    const parameters: Array<{ name: string; in: string; required?: boolean }> =
      res.body.paths[PATH].post.parameters ?? [];
    expect(parameters).toContainEqual(
      expect.objectContaining({ name: 'Idempotency-Key', in: 'header', required: true }),
    );
  });
});
