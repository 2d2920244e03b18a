import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { PaymentPurpose } from '../events/index.js';

/** What a payment may pay for, as the owning module describes it. */
export interface Payable {
  /** The citizen or customer id that owns the reference; only they (or an admin) may pay it. */
  ownerId: string;
  currency: string;
  /** Debts accept partial payments up to what is outstanding; orders must be paid exactly. */
  rule: { kind: 'up-to'; max: number } | { kind: 'exactly'; amount: number };
  /**
   * Whether the reference still takes payments (default `open`): `settled` when it is paid already
   * (another payment is refused), `closed` when it ended without being delivered (a rejected or
   * cancelled order): payments are refused, and one confirmed for it anyway is refunded.
   */
  standing?: PayableStanding;
  /**
   * What the payer sees on the gateway statement for this reference (the debt's `reference`);
   * the reference id when not given (an order's id).
   */
  statementReference?: string;
}

export type PayableStanding = 'open' | 'settled' | 'closed';

/** Looks up a payable reference (a debt, an order) inside the payment's transaction. */
export interface PayableResolver {
  resolve(tx: EntityManager, referenceId: string): Promise<Payable | undefined>;
}

/**
 * The port through which debts and fulfilment tell payments what can be paid, so payments
 * never depends on them (dependency inversion keeps the module graph acyclic).
 */
@Injectable()
export class Payables {
  private readonly resolvers = new Map<PaymentPurpose, PayableResolver>();

  register(purpose: PaymentPurpose, resolver: PayableResolver): void {
    if (this.resolvers.has(purpose)) throw new Error(`a payable resolver for "${purpose}" is registered twice`);
    this.resolvers.set(purpose, resolver);
  }

  resolver(purpose: PaymentPurpose): PayableResolver | undefined {
    return this.resolvers.get(purpose);
  }
}
