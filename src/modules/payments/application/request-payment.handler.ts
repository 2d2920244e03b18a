import { ForbiddenException, Injectable, NotFoundException } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { OutboxWriter } from '../../../outbox/index.js';
import { isOwner, type Principal, ProblemException, safeMinorUnits } from '../../../platform/index.js';
import { CONFLICT_REFUSALS, mayPayFor, ownerRoleOf, refusePayment } from '../domain/payment-rules.js';
import { type PaymentPurpose, PaymentRequestedV1 } from '../events/index.js';
import { PaymentRepository } from '../persistence/payment.repository.js';
import { Payables } from './payables.js';
import { type PaymentView, toPaymentView } from './payment.view.js';
import { lockPaymentReference } from './reference-lock.js';

export interface RequestPaymentCommand {
  purpose: PaymentPurpose;
  referenceId: string;
  amount: number;
  currency: string;
}

/**
 * Accepts a payment (SPEC.md, flow 3): checks who pays for what, inserts the `pending` payment and
 * appends `payments.payment-requested`, all in the caller's transaction - the one
 * `IdempotencyService.execute` opens, so the key record commits with them. Nothing here calls the
 * gateway: the charge happens after commit, in the charging worker.
 */
@Injectable()
export class RequestPaymentHandler {
  constructor(
    private readonly payables: Payables,
    private readonly outbox: OutboxWriter,
    private readonly payments: PaymentRepository,
  ) {}

  /**
   * @throws ForbiddenException 403 when the principal's roles may not pay this purpose (checked
   *   before the reference is looked up, so it reveals nothing about it).
   * @throws NotFoundException 404 for an unknown purpose resolver, an unknown reference, or one
   *   owned by someone else (no existence leak).
   * @throws ProblemException 422 for a currency or amount the reference does not accept; 409
   *   `reference-closed` for a reference that takes no more payments (a rejected or cancelled
   *   order), `already-paid` for one that is paid (settled, or exactly-priced with a confirmed
   *   payment), `payment-pending` for an exactly-priced one with a payment still pending.
   */
  async execute(tx: EntityManager, principal: Principal, command: RequestPaymentCommand): Promise<PaymentView> {
    const { purpose, referenceId } = command;
    if (!mayPayFor(principal.roles, purpose)) {
      throw new ForbiddenException(`Your roles may not pay for purpose "${purpose}".`);
    }
    const notFound = () => new NotFoundException(`${purpose} ${referenceId} not found`);
    const resolver = this.payables.resolver(purpose);
    if (!resolver) throw notFound();

    // Payments of one reference one at a time, so the sums below cannot be outrun (and a
    // confirmation or an order's refund, which take the same lock, sees this payment).
    await lockPaymentReference(tx, purpose, referenceId);
    const payable = await resolver.resolve(tx, referenceId);
    if (
      !payable ||
      (!principal.roles.includes('admin') && !isOwner(principal, ownerRoleOf(purpose), payable.ownerId))
    ) {
      throw notFound();
    }

    const { pending, confirmed } = await this.payments.standingOf(tx, purpose, referenceId);
    const refusal = refusePayment(payable, command, safeMinorUnits(pending, 'the pending sum'), confirmed);
    if (refusal) {
      const conflict = CONFLICT_REFUSALS.has(refusal.reason);
      throw new ProblemException(
        conflict ? 409 : 422,
        refusal.reason,
        conflict ? 'Conflict' : 'Unprocessable',
        refusal.detail,
      );
    }

    const id = uuidv7();
    const payment = {
      id,
      purpose,
      referenceId,
      ownerId: payable.ownerId,
      amount: String(command.amount),
      currency: command.currency,
      status: 'pending' as const,
      failureReason: null,
      gatewayRef: null,
      confirmedAt: null,
      refundedAt: null,
      refundReason: null,
      refundRef: null,
    };
    const inserted = await this.payments.insert(tx, payment);
    await this.outbox.append(tx, {
      contract: PaymentRequestedV1,
      aggregateId: id,
      payload: {
        paymentId: id,
        purpose,
        referenceId,
        amount: command.amount,
        currency: command.currency,
        // Carried so the charging worker need not look the reference up again.
        ...(payable.statementReference !== undefined && { statementReference: payable.statementReference }),
      },
    });
    return toPaymentView(inserted);
  }
}
