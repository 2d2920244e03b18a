import { Module } from '@nestjs/common';

/** Payments for debts and orders: idempotent requests, gateway charges, webhooks, refunds. */
@Module({})
export class PaymentsModule {}
