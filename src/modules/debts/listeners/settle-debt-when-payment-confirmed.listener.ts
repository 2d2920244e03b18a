import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import {
  type Envelope,
  type EventHandler,
  HandlesEvents,
  type NewEvent,
  OutboxWriter,
  subscribe,
} from '../../../outbox/index.js';
import { Accounts, LedgerApi } from '../../ledger/index.js';
import { PaymentConfirmedV1, type PaymentConfirmedV1Payload } from '../../payments/index.js';
import { applyPayment } from '../domain/debt.js';
import {
  CitizenClearedV1,
  type CitizenClearedV1Payload,
  DebtSettledV1,
  type DebtSettledV1Payload,
} from '../events/index.js';
import { DebtRepository } from '../persistence/debt.repository.js';

export const settleDebtSubscription = subscribe(PaymentConfirmedV1, {
  name: 'debts.settle-debt-when-payment-confirmed',
  module: 'debts',
  // Only debt payments are delivered: the others get no ledger row, job or inbox row.
  filter: { purpose: 'debt' },
  lane: 'critical',
  retry: { attempts: 10, backoffMs: 1000 },
});

/**
 * Applies a confirmed debt payment: lowers the outstanding amount, settles the debt at zero and,
 * when it was the citizen's last outstanding debt, publishes `debts.citizen-cleared`. Runs in the
 * inbox transaction, so however often the event is delivered it is applied once.
 */
@Injectable()
@HandlesEvents(settleDebtSubscription)
export class SettleDebtWhenPaymentConfirmedListener implements EventHandler<PaymentConfirmedV1Payload> {
  private readonly logger = new Logger(SettleDebtWhenPaymentConfirmedListener.name);

  constructor(
    private readonly outbox: OutboxWriter,
    private readonly ledger: LedgerApi,
    private readonly debts: DebtRepository,
  ) {}

  async handle(event: Envelope<PaymentConfirmedV1Payload>, tx: EntityManager): Promise<void> {
    const payment = event.payload;
    // One citizen at a time: whoever settles the last debt must see every other settlement. A debt's
    // citizen never changes, so only the debt's amounts need the fresh read (after the lock) below.
    if (!(await this.debts.lockCitizenOf(tx, payment.referenceId))) {
      throw new Error(`payment ${payment.paymentId} pays unknown debt ${payment.referenceId}`);
    }
    const debt = await this.debts.findForUpdate(tx, payment.referenceId);

    const { applied, outstanding, excess } = applyPayment(Number(debt.outstanding), payment.amount);
    if (excess > 0) {
      this.logger.warn(
        `payment ${payment.paymentId} exceeds debt ${debt.id} by ${excess}; the excess stays in payments clearing`,
      );
    }
    if (applied === 0) return;
    // The citizen's other outstanding debts are counted in the same statement: its snapshot is taken
    // under the citizen lock, after every other settlement of theirs committed.
    const stillOwed = await this.debts.applyPayment(tx, debt, outstanding);
    await this.ledger.post(tx, {
      source: event.id,
      kind: 'debt-payment-applied',
      currency: debt.currency,
      legs: [
        { account: Accounts.paymentsClearing(), amount: applied },
        { account: Accounts.citizenReceivable(debt.citizenId), amount: -applied },
      ],
    });
    if (outstanding > 0) return;

    const settled: NewEvent<DebtSettledV1Payload> = {
      contract: DebtSettledV1,
      aggregateId: debt.id,
      payload: {
        debtId: debt.id,
        citizenId: debt.citizenId,
        paymentId: payment.paymentId,
        amount: Number(debt.amount),
      },
    };
    // Both events go in one append.
    if (stillOwed > 0) {
      await this.outbox.append(tx, settled);
      return;
    }
    const cleared: NewEvent<CitizenClearedV1Payload> = {
      contract: CitizenClearedV1,
      aggregateId: debt.citizenId,
      payload: { citizenId: debt.citizenId },
    };
    await this.outbox.append(tx, [settled, cleared]);
  }
}
