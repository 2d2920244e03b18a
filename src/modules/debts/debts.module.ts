import { Module } from '@nestjs/common';

/** Citizens' debts (fines, fees, taxes): registration, settlement, clearance. */
@Module({})
export class DebtsModule {}
