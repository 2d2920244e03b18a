import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../../../config/index.js';
import { exactMinorUnits, jsonMinorUnits } from '../../../platform/index.js';
import { type Finding, Reconciler, type ReconciliationWindow } from '../../../reconciliation/index.js';
import { Accounts, LedgerApi } from '../../ledger/index.js';
import { PAYMENT_RECEIVED_KIND, PAYMENT_REFUNDED_KIND, paymentLedgerSource } from '../application/payment-postings.js';
import { PaymentRepository } from '../persistence/payment.repository.js';

interface PaymentRow {
  id: string;
  status: 'confirmed' | 'refunding' | 'refunded';
  amount: string;
  currency: string;
}

/**
 * The ledger must agree with payments: every payment that was confirmed (still `confirmed`, its
 * refund requested but not made yet - `refunding`, which holds the money like `confirmed` - or
 * `refunded` since) has its `payment-received` posting of its amount into `gateway:cash`, every
 * refunded one its `payment-refunded` reversal, no such posting exists for a payment that is not in
 * that state, and `gateway:cash` holds, per currency, exactly what confirmed payments minus refunded
 * ones brought in. Each confirmation and refund posts in the transaction that changes the payment,
 * so a mismatch is corruption (or an edit behind the app's back): an exception for an admin, never
 * an automatic ledger entry. The check reads one snapshot, so the window only names the run's slot.
 */
@Reconciler()
@Injectable()
export class LedgerMatchesPaymentsReconciler implements Reconciler {
  readonly name = 'payments-ledger-matches-payments';
  readonly rulesVersion = 1;
  readonly everyMs: number;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly ledger: LedgerApi,
    private readonly payments: PaymentRepository,
  ) {
    this.everyMs = config.reconciliation.intervalMs;
  }

  async check(_window: ReconciliationWindow, tx: EntityManager): Promise<Finding[]> {
    const payments = (await this.payments.amountsIn(tx, ['confirmed', 'refunding', 'refunded'])) as PaymentRow[];
    const cash = Accounts.gatewayCash();
    const prefix = paymentLedgerSource('');
    const received = await this.ledger.postedTo(tx, cash, PAYMENT_RECEIVED_KIND, prefix);
    const refunded = await this.ledger.postedTo(tx, cash, PAYMENT_REFUNDED_KIND, prefix);

    const findings: Finding[] = [];
    const byId = new Map(payments.map((payment) => [payment.id, payment]));
    for (const payment of payments) {
      const source = paymentLedgerSource(payment.id);
      const amount = exactMinorUnits(payment.amount);
      const problems: string[] = [];
      const inflow = received.bySource.get(source);
      if (!inflow) problems.push(`no ${PAYMENT_RECEIVED_KIND} posting`);
      else if (inflow.amount !== amount || inflow.currency !== payment.currency) {
        problems.push(`${PAYMENT_RECEIVED_KIND} posted ${inflow.amount} ${inflow.currency}`);
      }
      const outflow = refunded.bySource.get(source);
      if (payment.status === 'refunded' && !outflow) problems.push(`no ${PAYMENT_REFUNDED_KIND} reversal`);
      else if (
        payment.status === 'refunded' &&
        (outflow!.amount !== -amount || outflow!.currency !== payment.currency)
      ) {
        problems.push(`${PAYMENT_REFUNDED_KIND} posted ${outflow!.amount} ${outflow!.currency}`);
      } else if (payment.status !== 'refunded' && outflow) {
        problems.push(`a ${PAYMENT_REFUNDED_KIND} reversal, but the payment is not refunded`);
      }
      if (problems.length > 0)
        findings.push(this.paymentFinding(payment.id, payment.status, amount, payment.currency, problems));
    }
    // Postings for payments that were never confirmed (or do not exist).
    for (const [kind, posted] of [
      [PAYMENT_RECEIVED_KIND, received],
      [PAYMENT_REFUNDED_KIND, refunded],
    ] as const) {
      for (const [source, entry] of posted.bySource) {
        const id = source.slice(prefix.length);
        if (byId.has(id)) continue;
        findings.push(
          this.paymentFinding(id, 'not confirmed', 0n, entry.currency, [`a ${kind} posting of ${entry.amount}`]),
        );
      }
    }

    const expected = new Map<string, bigint>();
    for (const payment of payments) {
      if (payment.status === 'refunded') continue;
      expected.set(payment.currency, (expected.get(payment.currency) ?? 0n) + exactMinorUnits(payment.amount));
    }
    const balances = received.balances;
    for (const currency of [...new Set([...expected.keys(), ...balances.keys()])].sort()) {
      const want = expected.get(currency) ?? 0n;
      const have = balances.get(currency) ?? 0n;
      if (want === have) continue;
      findings.push({
        subject: `account:${cash}:${currency}`,
        description: `${cash} holds ${have} ${currency}, but confirmed payments less refunds come to ${want}`,
        details: {
          account: cash,
          currency,
          ledgerBalance: jsonMinorUnits(have),
          confirmedLessRefunded: jsonMinorUnits(want),
          difference: jsonMinorUnits(have - want),
        },
      });
    }
    return findings.sort((a, b) => (a.subject < b.subject ? -1 : a.subject > b.subject ? 1 : 0));
  }

  private paymentFinding(id: string, status: string, amount: bigint, currency: string, problems: string[]): Finding {
    return {
      subject: `payment:${id}`,
      description: `payment ${id} (${status}, ${amount} ${currency}): ${problems.join('; ')}`,
      details: { paymentId: id, status, amount: jsonMinorUnits(amount), currency, problems },
    };
  }
}
