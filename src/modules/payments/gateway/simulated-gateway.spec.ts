import { GatewaySimRandom, type RandomSource } from './gateway-sim-random.js';
import { GatewayRequestRejectedError, GatewayTimeoutError, GatewayUnavailableError } from './payment-gateway.js';
import type { SimCharge, SimChargeStore, SimRefund } from './sim-charge.store.js';
import { type GatewaySimSettings, SIMULATED_DECLINE_REASON, SimulatedGateway } from './simulated-gateway.js';

/** The simulator's tables, in memory. */
class MemoryStore implements SimChargeStore {
  readonly charges = new Map<string, SimCharge>();
  readonly refunds = new Map<string, SimRefund>();

  async find(key: string): Promise<SimCharge | undefined> {
    return this.charges.get(key);
  }

  async findByGatewayRef(gatewayRef: string): Promise<SimCharge | undefined> {
    return [...this.charges.values()].find((charge) => charge.gatewayRef === gatewayRef);
  }

  async findRefund(key: string): Promise<SimRefund | undefined> {
    return this.refunds.get(key);
  }

  async insertRefund(refund: SimRefund): Promise<SimRefund | undefined> {
    const taken = [...this.refunds.values()].some((r) => r.gatewayRef === refund.gatewayRef);
    if (!this.refunds.has(refund.idempotencyKey) && !taken) this.refunds.set(refund.idempotencyKey, refund);
    return this.refunds.get(refund.idempotencyKey);
  }

  async insert(charge: SimCharge): Promise<{ charge: SimCharge; created: boolean }> {
    const existing = this.charges.get(charge.idempotencyKey);
    if (existing) return { charge: existing, created: false };
    this.charges.set(charge.idempotencyKey, charge);
    return { charge, created: true };
  }
}

/** Plays back `values`, then fails the test if asked for more. */
function dice(...values: number[]): RandomSource {
  return {
    next: () => {
      const value = values.shift();
      if (value === undefined) throw new Error('the gateway drew more random numbers than expected');
      return value;
    },
  };
}

const NO_FAULTS: GatewaySimSettings = {
  latencyMs: 0,
  declineRate: 0,
  timeoutAfterChargeRate: 0,
  errorRate: 0,
  rejectRate: 0,
};
const PAYMENT_ID = '0190f5b2-7c3e-7a1b-9c4d-2e5f6a7b8c9d';
const request = {
  paymentId: PAYMENT_ID,
  amount: 500,
  currency: 'SAR',
  reference: 'FINE-1',
  purpose: 'debt' as const,
};

function gateway(settings: Partial<GatewaySimSettings>, random: RandomSource, store = new MemoryStore()) {
  return { store, gateway: new SimulatedGateway({ ...NO_FAULTS, ...settings }, random, store) };
}

describe('SimulatedGateway', () => {
  it('charges once per idempotency key: a repeat returns the first result and records nothing new', async () => {
    const { gateway: sim, store } = gateway({}, dice());
    const first = await sim.charge(request);
    expect([...store.charges.keys()]).toEqual([`pay-${PAYMENT_ID}`]);
    expect(first).toEqual({ status: 'succeeded', gatewayRef: expect.stringMatching(/^sim_/) });
    expect(await sim.charge(request)).toEqual(first);
    expect(await sim.charge(request)).toEqual(first);
    expect(store.charges.size).toBe(1);
    expect(await sim.chargeStatus(PAYMENT_ID)).toEqual(first);
  });

  it('never charges twice when two calls with one key race', async () => {
    const { gateway: sim, store } = gateway({}, dice());
    const [a, b] = await Promise.all([sim.charge(request), sim.charge(request)]);
    expect(a).toEqual(b);
    expect(store.charges.size).toBe(1);
  });

  it('records a decline, and returns that decline for the same key later', async () => {
    const { gateway: sim, store } = gateway({ declineRate: 0.5 }, dice(0.49));
    const declined = await sim.charge(request);
    expect(declined).toEqual({ status: 'declined', reason: SIMULATED_DECLINE_REASON, gatewayRef: expect.any(String) });
    expect(await sim.charge(request)).toEqual(declined); // no further draw: a replay is not re-decided
    expect([...store.charges.values()].map((c) => c.status)).toEqual(['declined']);
  });

  it('fails with GatewayUnavailableError before charging', async () => {
    const { gateway: sim, store } = gateway({ errorRate: 0.5 }, dice(0.1, 0.9));
    await expect(sim.charge(request)).rejects.toBeInstanceOf(GatewayUnavailableError);
    expect(store.charges.size).toBe(0);
    expect(await sim.chargeStatus(PAYMENT_ID)).toBeUndefined();
    expect(await sim.charge(request)).toMatchObject({ status: 'succeeded' }); // 0.9: no error this time
    expect(store.charges.size).toBe(1);
  });

  it('refuses a charge request with GatewayRequestRejectedError before charging, and charges once it accepts again', async () => {
    const { gateway: sim, store } = gateway({ rejectRate: 1 }, dice(0));
    await expect(sim.charge(request)).rejects.toBeInstanceOf(GatewayRequestRejectedError);
    expect(store.charges.size).toBe(0);
    expect(await sim.chargeStatus(PAYMENT_ID)).toBeUndefined();
    const healed = new SimulatedGateway({ ...NO_FAULTS }, dice(), store);
    expect(await healed.charge(request)).toMatchObject({ status: 'succeeded' });
    expect(store.charges.size).toBe(1);
  });

  it('times out AFTER taking the money; the retry with the same key finds that charge', async () => {
    const { gateway: sim, store } = gateway({ timeoutAfterChargeRate: 0.5 }, dice(0.2));
    await expect(sim.charge(request)).rejects.toBeInstanceOf(GatewayTimeoutError);
    const taken = [...store.charges.values()];
    expect(taken).toHaveLength(1);
    expect(taken[0]).toMatchObject({ status: 'succeeded', amount: 500 });
    expect(await sim.chargeStatus(PAYMENT_ID)).toEqual({ status: 'succeeded', gatewayRef: taken[0].gatewayRef });
    // The retry draws nothing and is not timed out again: it is a replay of the recorded charge.
    expect(await sim.charge(request)).toEqual({ status: 'succeeded', gatewayRef: taken[0].gatewayRef });
    expect(store.charges.size).toBe(1);
  });

  it('refuses to reuse a key for another amount or currency', async () => {
    const { gateway: sim } = gateway({}, dice());
    await sim.charge(request);
    await expect(sim.charge({ ...request, amount: 501 })).rejects.toBeInstanceOf(GatewayRequestRejectedError);
    await expect(sim.charge({ ...request, currency: 'USD' })).rejects.toBeInstanceOf(GatewayRequestRejectedError);
  });

  it('keeps charges of different keys apart', async () => {
    const { gateway: sim, store } = gateway({}, dice());
    const one = await sim.charge(request);
    const two = await sim.charge({ ...request, paymentId: 'another-payment' });
    expect(one).not.toEqual(two);
    expect(store.charges.size).toBe(2);
  });

  it('refunds a succeeded charge once per key: a repeat returns the first refund and records nothing new', async () => {
    const { gateway: sim, store } = gateway({}, dice());
    const charged = await sim.charge(request);
    if (charged.status !== 'succeeded') throw new Error('expected a succeeded charge');
    const refund = { ...request, gatewayRef: charged.gatewayRef };
    const first = await sim.refund(refund);
    expect(first).toEqual({ refundRef: expect.stringMatching(/^simr_/) });
    expect([...store.refunds.keys()]).toEqual([`refund-${PAYMENT_ID}`]);
    expect(await sim.refund(refund)).toEqual(first);
    expect(store.refunds.size).toBe(1);
    // Another payment's key for the same charge, or the same key for another amount: refused, nothing recorded.
    await expect(sim.refund({ ...refund, paymentId: 'another-payment' })).rejects.toBeInstanceOf(
      GatewayRequestRejectedError,
    );
    await expect(sim.refund({ ...refund, amount: 499 })).rejects.toBeInstanceOf(GatewayRequestRejectedError);
    expect(store.refunds.size).toBe(1);
  });

  it('refuses to refund an unknown or declined charge, and fails before refunding on a simulated 503', async () => {
    const { gateway: sim, store } = gateway({ declineRate: 0.5, errorRate: 0.5 }, dice(0.9, 0.1, 0.9, 0.9));
    const declined = await sim.charge(request); // 0.9: no error; 0.1: declined
    expect(declined.status).toBe('declined');
    const refund = { ...request, gatewayRef: declined.gatewayRef! };
    await expect(sim.refund(refund)).rejects.toBeInstanceOf(GatewayRequestRejectedError); // 0.9: no error
    await expect(sim.refund({ ...refund, gatewayRef: 'sim_unknown' })).rejects.toBeInstanceOf(
      GatewayRequestRejectedError,
    ); // 0.9: no error
    const { gateway: down, store: empty } = gateway({ errorRate: 0.5 }, dice(0.1));
    await expect(down.refund(refund)).rejects.toBeInstanceOf(GatewayUnavailableError);
    expect(store.refunds.size + empty.refunds.size).toBe(0);
  });

  it('waits the configured latency on every call', async () => {
    const { gateway: sim } = gateway({ latencyMs: 60 }, dice());
    const started = performance.now();
    await sim.charge(request);
    await sim.chargeStatus(PAYMENT_ID);
    expect(performance.now() - started).toBeGreaterThanOrEqual(115);
  });
});

describe('GatewaySimRandom', () => {
  it('draws numbers in [0, 1) and repeats its sequence after reseeding', () => {
    const random = new GatewaySimRandom();
    random.reseed(42);
    const first = Array.from({ length: 100 }, () => random.next());
    expect(first.every((n) => n >= 0 && n < 1)).toBe(true);
    expect(new Set(first).size).toBe(100);
    random.reseed(42);
    expect(Array.from({ length: 100 }, () => random.next())).toEqual(first);
    random.reseed(43);
    expect(random.next()).not.toBe(first[0]);
  });
});
