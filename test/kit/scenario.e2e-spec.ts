import { readFileSync } from 'node:fs';
import { DataSource } from 'typeorm';
import { OutboxWriter } from '../../src/outbox/index.js';
import { consistently } from '../support/eventually.js';
import { appendThings, outboxTestSetup, ThingHappened, ThingObserved } from '../support/outbox-fixtures.js';
import { suiteReportFile } from '../support/global-setup.js';
import { scenario, useTestApp } from '../support/scenario.js';
import { suiteBackend } from '../support/suite-backends.js';
import { parseRecords } from '../support/suite-backends-report.js';

describe('scenario test kit', () => {
  // No test subscribers: the kit reads the events whether or not the relay has moved them yet.
  const t = useTestApp({ ...outboxTestSetup([]), env: { OUTBOX_RELAY_POLL_INTERVAL_MS: '50' } });
  const append = (aggregateId: string, count = 1, contract = ThingHappened, startN = 0) =>
    appendThings(t.app.get(DataSource), t.app.get(OutboxWriter), count, { aggregateId, contract, startN });

  it('starts the app on behalf of the suite that called useTestApp: its backend, recorded under it', () => {
    // The hook runs from scenario.ts, whose stack never reaches this file: without the suite taken at
    // registration, the app would get TEST_QUEUE_BACKEND (not a Redis-specific suite's Redis) and the
    // end-of-run report would count this suite among those that start no app.
    const records = parseRecords(readFileSync(suiteReportFile(), 'utf8')).records;
    expect(records).toContainEqual({ file: 'test/kit/scenario.e2e-spec.ts', backend: suiteBackend(), ran: true });
  });

  it('useTestApp gives the running app to hooks and tests', () => {
    expect(t.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(t.app.get(DataSource).isInitialized).toBe(true);
    expect(typeof t.token({ sub: 'someone', roles: ['admin'] })).toBe('string');
  });

  it('expectEvent resolves with the envelope of the first matching event appended after the stimulus', async () => {
    await append('before-the-stimulus', 1, ThingHappened, 7);
    const envelope = await scenario(t)
      .when(() => append('kit-1', 3, ThingHappened, 5))
      .expectEvent('testing.thing-happened', { n: 6 });
    expect(envelope).toMatchObject({
      type: 'testing.thing-happened',
      aggregateId: 'kit-1',
      payload: { key: 'k6', n: 6 },
    });

    // A predicate sees the payload and the envelope; an event from before the stimulus never counts.
    await expect(
      scenario(t)
        .when(() => append('kit-2', 1, ThingHappened, 1))
        .expectEvent('testing.thing-happened', (p, e) => p.n === 7 || e.aggregateId === 'before-the-stimulus', {
          timeoutMs: 300,
        }),
    ).rejects.toThrow(/no event testing\.thing-happened matching the predicate/);
  });

  it('expectEvent fails naming the type, the matcher and what was seen instead', async () => {
    const started = Date.now();
    const failure = scenario(t)
      .when(() => append('kit-3', 2, ThingObserved))
      .andThen(() => append('kit-3', 1, ThingHappened, 4))
      .expectEvent('testing.thing-happened', { n: 99 }, { timeoutMs: 400 });
    await expect(failure).rejects.toThrow(
      'scenario: no event testing.thing-happened matching {"n":99} within 400 ms of the stimulus; ' +
        'seen 1 of testing.thing-happened: {"n":4,"key":"k4"}; other events: testing.thing-observed ×2',
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
  });

  it('expectEvent with relayed waits for the event in outbox_event', async () => {
    const envelope = await scenario(t)
      .when(() => append('kit-7'))
      .expectEvent('testing.thing-happened', { key: 'k0' }, { relayed: true });
    const [{ n }] = await t.app
      .get(DataSource)
      .query(`SELECT count(*)::int AS n FROM outbox_event WHERE id = $1`, [envelope.id]);
    expect(n).toBe(1);
  });

  it('andThen chains steps, each given the value of the one before', async () => {
    const seen: number[] = [];
    const result = await scenario(t)
      .when(() => append('kit-4'))
      .expectEvent('testing.thing-happened', { key: 'k0' })
      .andThen((envelope) => {
        seen.push(envelope.payload.n);
        return append('kit-4', 1, ThingObserved, 1);
      })
      .expectEvent('testing.thing-observed', (p) => p.n === 1)
      .andThen((envelope) => envelope.aggregateId);
    expect(seen).toEqual([0]);
    expect(result).toBe('kit-4');
  });

  it('expectNoEvent passes a quiet window, and fails as soon as the event appears', async () => {
    const quietStart = Date.now();
    await scenario(t)
      .when(() => append('kit-5', 1, ThingObserved))
      .expectNoEvent('testing.thing-happened', { within: 300 });
    expect(Date.now() - quietStart).toBeGreaterThanOrEqual(300);

    const started = Date.now();
    const failing = expect(
      scenario(t)
        .when(() => undefined)
        .expectNoEvent('testing.thing-happened', { within: 10_000, matching: { key: 'k3' } }),
    ).rejects.toThrow(
      /consistently: failed after \d+ ms of 10000: scenario: event testing\.thing-happened matching \{"key":"k3"\} appeared, expected none within 10000 ms: \{"n":3,"key":"k3"\}/,
    );
    // Meanwhile (as another module would) the event appears: after the stimulus, inside the window.
    await append('kit-6', 4);
    await failing;
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('consistently fails at the first failing attempt, and passes a window where the probe holds', async () => {
    let calls = 0;
    await consistently(() => (calls += 1), { within: 100, intervalMs: 10 });
    expect(calls).toBeGreaterThan(1);

    const started = Date.now();
    let value = 0;
    await expect(
      consistently(
        () => {
          value += 1;
          expect(value).toBeLessThan(3);
        },
        { within: 10_000, intervalMs: 10 },
      ),
    ).rejects.toThrow(/consistently: failed after \d+ ms of 10000/);
    expect(value).toBe(3);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

describe('scenario test kit, in a process without a relay', () => {
  const t = useTestApp({ ...outboxTestSetup([]), env: { APP_ROLES: 'api' } });

  it('expectEvent sees an event still in outbox_message, and with relayed does not', async () => {
    const append = () => appendThings(t.app.get(DataSource), t.app.get(OutboxWriter), 1, { aggregateId: 'kit-8' });
    const step = scenario(t).when(append);
    expect(await step.expectEvent('testing.thing-happened', { n: 0 })).toMatchObject({ aggregateId: 'kit-8' });
    await expect(
      scenario(t).when(append).expectEvent('testing.thing-happened', { n: 0 }, { relayed: true, timeoutMs: 300 }),
    ).rejects.toThrow(/^scenario: no relayed event testing\.thing-happened matching \{"n":0\} within 300 ms/);
  });
});
