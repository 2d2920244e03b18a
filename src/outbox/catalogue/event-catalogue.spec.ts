import { IsString } from 'class-validator';
import { EventCatalogue } from './event-catalogue.js';
import { assertValidPayload, defineEvent, defineUpcaster, InvalidEventPayloadError } from './event-contract.js';
import { passesFilter, retryHorizonMs, subscribe } from './subscription.js';

class Payload {
  @IsString()
  debtId!: string;
}

const DebtSettled = defineEvent({
  type: 'debts.debt-settled',
  version: 1,
  owner: 'debts',
  aggregateType: 'debt',
  description: 'A debt reached zero.',
  payload: Payload,
});

describe('event contracts', () => {
  it('require <owner>.<past-tense-kebab> names and positive integer versions', () => {
    const base = { version: 1, owner: 'debts', aggregateType: 'debt', description: '', payload: Payload };
    expect(() => defineEvent({ ...base, type: 'DebtSettled' })).toThrow(/must be "debts.<past-tense-kebab>"/);
    expect(() => defineEvent({ ...base, type: 'payments.debt-settled' })).toThrow(/must be "debts/);
    expect(() => defineEvent({ ...base, type: 'debts.debt_settled' })).toThrow();
    expect(() => defineEvent({ ...base, type: 'debts.debt-settled', version: 0 })).toThrow(/invalid version/);
  });

  it('validate payloads strictly: wrong types and unknown fields are refused', () => {
    expect(() => assertValidPayload(DebtSettled, { debtId: 'd-1' })).not.toThrow();
    expect(() => assertValidPayload(DebtSettled, { debtId: 7 })).toThrow(InvalidEventPayloadError);
    expect(() => assertValidPayload(DebtSettled, { debtId: 'd', extra: 1 })).toThrow(/extra/);
    expect(() => assertValidPayload(DebtSettled, null)).toThrow(/must be an object/);
  });
});

describe('upcasters', () => {
  class PayloadV2 {
    @IsString()
    debtId!: string;

    @IsString()
    currency!: string;
  }
  class PayloadV3 extends PayloadV2 {
    @IsString()
    reason!: string;
  }
  const base = { type: 'debts.debt-settled', owner: 'debts', aggregateType: 'debt', description: '' };
  const V2 = defineEvent({ ...base, version: 2, payload: PayloadV2 });
  const V3 = defineEvent({ ...base, version: 3, payload: PayloadV3 });
  const oneToTwo = defineUpcaster({ from: DebtSettled, to: V2, upcast: (p: Payload) => ({ ...p, currency: 'SAR' }) });
  const twoToThree = defineUpcaster({ from: V2, to: V3, upcast: (p: PayloadV2) => ({ ...p, reason: 'unknown' }) });
  const envelope = {
    id: '0190a3c4-0000-7000-8000-000000000001',
    type: 'debts.debt-settled',
    version: 1,
    aggregateType: 'debt',
    aggregateId: 'd-1',
    aggregateSeq: 1,
    occurredAt: '2026-12-04T00:00:00.000Z',
    correlationId: 'c',
    causationId: null,
    payload: { debtId: 'd-1' },
  };

  it('route every earlier version to a subscriber of a later one, upcast one step at a time', () => {
    const v3 = subscribe(V3, { name: 'licences.v3', module: 'licences' });
    const catalogue = new EventCatalogue([DebtSettled, V2, V3], [v3], [oneToTwo, twoToThree]);
    expect(catalogue.routes().map((r) => [r.stored.version, r.handled.version])).toEqual([
      [3, 3],
      [2, 3],
      [1, 3],
    ]);
    expect(catalogue.subscribersOf(DebtSettled)).toEqual([v3]);
    const route = catalogue.routeOf(v3, envelope)!;
    expect(catalogue.upcast(envelope, route)).toEqual({
      ...envelope,
      version: 3,
      payload: { debtId: 'd-1', currency: 'SAR', reason: 'unknown' },
    });
  });

  it('stop at a version the subscriber takes itself, and need an unbroken chain', () => {
    const both = subscribe([DebtSettled, V3], { name: 'licences.both', module: 'licences' });
    const catalogue = new EventCatalogue([DebtSettled, V2, V3], [both], [oneToTwo, twoToThree]);
    expect(catalogue.routes().map((r) => [r.stored.version, r.handled.version])).toEqual([
      [1, 1],
      [3, 3],
      [2, 3],
    ]);
    const gap = new EventCatalogue(
      [DebtSettled, V2, V3],
      [subscribe(V3, { name: 'licences.v3', module: 'licences' })],
      [oneToTwo],
    );
    expect(gap.routes().map((r) => r.stored.version)).toEqual([3]);
  });

  it('are refused between versions that are not consecutive, unregistered or registered twice, or when a filtered field is missing', () => {
    expect(() => defineUpcaster({ from: DebtSettled, to: V3, upcast: (p) => p as PayloadV3 })).toThrow(
      /from one version to the next/,
    );
    expect(() => new EventCatalogue([DebtSettled], [], [oneToTwo])).toThrow(/both versions must be registered/);
    expect(() => new EventCatalogue([DebtSettled, V2], [], [oneToTwo, oneToTwo])).toThrow(/registered twice/);
    const filtered = subscribe(V2, { name: 'licences.sar', module: 'licences', filter: { currency: 'SAR' } });
    expect(() => new EventCatalogue([DebtSettled, V2], [filtered], [oneToTwo])).toThrow(
      'subscriber "licences.sar" filters on "currency", which debts.debt-settled v1 does not carry',
    );
  });
});

describe('the catalogue', () => {
  it('routes new events only to live subscribers: a retired one keeps its name and lane for what it still drains', () => {
    const live = subscribe(DebtSettled, { name: 'licences.live', module: 'licences', lane: 'bulk' });
    const retired = subscribe(DebtSettled, {
      name: 'licences.old',
      module: 'licences',
      lane: 'critical',
      retired: 'moved into the settling transaction',
    });
    const catalogue = new EventCatalogue([DebtSettled], [live, retired]);
    expect(catalogue.subscribersOf(DebtSettled)).toEqual([live]);
    expect(catalogue.retiredSubscribersOf(DebtSettled)).toEqual([retired]);
    expect(catalogue.subscription('licences.old')).toBe(retired);
    // Its lane no longer makes the event urgent.
    expect(catalogue.claimPriority(DebtSettled)).toBe(2);
  });

  it('refuses a subscription to an unregistered event', () => {
    const orphan = subscribe(DebtSettled, { name: 'licences.x', module: 'licences' });
    expect(() => new EventCatalogue([], [orphan])).toThrow(/subscribes to unregistered event debts.debt-settled v1/);
  });

  it('refuses duplicate events and duplicate subscriber names', () => {
    expect(() => new EventCatalogue([DebtSettled, DebtSettled], [])).toThrow(/registered twice/);
    const a = subscribe(DebtSettled, { name: 'licences.x', module: 'licences' });
    const b = subscribe(DebtSettled, { name: 'licences.x', module: 'licences' });
    expect(() => new EventCatalogue([DebtSettled], [a, b])).toThrow(/"licences.x" is registered twice/);
  });

  it('finds contracts and the subscribers of each', () => {
    const sub = subscribe(DebtSettled, { name: 'licences.x', module: 'licences', lane: 'critical' });
    const catalogue = new EventCatalogue([DebtSettled], [sub]);
    expect(catalogue.contract('debts.debt-settled', 1)).toBe(DebtSettled);
    expect(() => catalogue.contract('debts.debt-settled', 2)).toThrow(/not registered/);
    expect(catalogue.subscribersOf(DebtSettled)).toEqual([sub]);
  });
});

describe('subscriptions', () => {
  it('refuse names that could break job ids or keys', () => {
    expect(() => subscribe(DebtSettled, { name: 'has:colon', module: 'm' })).toThrow(/no ":"/);
    expect(() => subscribe(DebtSettled, { name: 'Upper', module: 'm' })).toThrow();
  });

  it('compute the retry horizon as the sum of the exponential delays', () => {
    expect(retryHorizonMs({ attempts: 1, backoffMs: 1000, jitter: 0 })).toBe(0);
    expect(retryHorizonMs({ attempts: 4, backoffMs: 1000, jitter: 0.5 })).toBe(1000 + 2000 + 4000);
  });
});

describe('subscription filters', () => {
  it('are checked against the payload fields of every subscribed contract', () => {
    const good = subscribe(DebtSettled, { name: 'x.only-d1', module: 'x', filter: { debtId: 'd-1' } });
    expect(() => new EventCatalogue([DebtSettled], [good])).not.toThrow();
    const bad = subscribe(DebtSettled, { name: 'x.by-purpose', module: 'x', filter: { purpose: 'debt' } });
    expect(() => new EventCatalogue([DebtSettled], [bad])).toThrow(/filters on "purpose", which debts.debt-settled v1/);
  });

  it('refuse an empty filter and values that are not scalars', () => {
    expect(() => subscribe(DebtSettled, { name: 'x.empty', module: 'x', filter: {} })).toThrow(/empty filter/);
    const objectValue = { debtId: { nested: true } } as unknown as Record<string, string>;
    expect(() => subscribe(DebtSettled, { name: 'x.object', module: 'x', filter: objectValue })).toThrow(
      /must be a string, a finite number or a boolean/,
    );
    expect(() => subscribe(DebtSettled, { name: 'x.nan', module: 'x', filter: { debtId: Number.NaN } })).toThrow();
  });

  it('pass a payload only when every filtered field has the exact value', () => {
    const only = subscribe(DebtSettled, { name: 'x.only-d1', module: 'x', filter: { debtId: 'd-1' } });
    expect(passesFilter(only, { debtId: 'd-1' })).toBe(true);
    expect(passesFilter(only, { debtId: 'd-2' })).toBe(false);
    expect(passesFilter(only, { debtId: 'D-1' })).toBe(false);
    expect(passesFilter(only, {})).toBe(false);
    expect(passesFilter(subscribe(DebtSettled, { name: 'x.all', module: 'x' }), { debtId: 'd-2' })).toBe(true);
  });
});
