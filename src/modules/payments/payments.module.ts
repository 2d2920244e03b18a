import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Payables } from './application/payables.js';
import { PaymentEntity } from './persistence/payment.entity.js';

/** Payments for debts and orders: idempotent requests, gateway charges, webhooks, refunds. */
@Module({
  imports: [TypeOrmModule.forFeature([PaymentEntity])],
  providers: [Payables],
  exports: [Payables],
})
export class PaymentsModule {}
