import { Injectable, NotFoundException } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ProblemException } from '../../../platform/index.js';
import { PaymentRepository } from '../persistence/payment.repository.js';
import { type ApplyOutcome, GatewayResultApplier } from './apply-gateway-result.js';

/** A verified gateway webhook's content (API.md, `POST /v1/payments/gateway-webhook`). */
export interface GatewayWebhook {
  eventId: string;
  paymentId: string;
  gatewayRef: string;
  status: 'succeeded' | 'failed';
  amount: number;
  currency: string;
}

/** The failure reason recorded when the gateway reports a failed charge by webhook. */
export const WEBHOOK_FAILURE_REASON = 'declined at gateway';

/**
 * Applies a gateway webhook whose signature was verified. Replay protection and effect share one
 * transaction: the event id is recorded in `payments_webhook_event` with the payment's change, so
 * an event id seen before changes nothing, and a webhook that is refused (unknown payment, amount
 * or currency mismatch) records nothing and may be delivered again.
 */
@Injectable()
export class ReceiveGatewayWebhookHandler {
  constructor(
    private readonly dataSource: DataSource,
    private readonly results: GatewayResultApplier,
    private readonly payments: PaymentRepository,
  ) {}

  /** Returns `undefined` for an event id seen before, else what applying it did. */
  async execute(webhook: GatewayWebhook): Promise<ApplyOutcome | undefined> {
    return this.dataSource.transaction(async (tx) => {
      const fresh: unknown[] = await tx.query(
        `INSERT INTO payments_webhook_event (event_id, payment_id) VALUES ($1, $2)
         ON CONFLICT (event_id) DO NOTHING RETURNING 1`,
        [webhook.eventId, webhook.paymentId],
      );
      if (fresh.length === 0) return undefined;

      const payment = await this.payments.find(tx, webhook.paymentId);
      if (!payment) throw new NotFoundException(`payment ${webhook.paymentId} not found`);
      if (Number(payment.amount) !== webhook.amount || payment.currency !== webhook.currency) {
        throw new ProblemException(
          422,
          'webhook-payment-mismatch',
          'Unprocessable',
          `The webhook's amount or currency does not match payment ${webhook.paymentId}.`,
        );
      }
      return this.results.apply(
        tx,
        webhook.paymentId,
        webhook.status === 'succeeded'
          ? { status: 'succeeded', gatewayRef: webhook.gatewayRef }
          : { status: 'declined', reason: WEBHOOK_FAILURE_REASON, gatewayRef: webhook.gatewayRef },
      );
    });
  }
}
