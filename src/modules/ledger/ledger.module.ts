import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { LedgerApi } from './ledger.api.js';
import { LedgerEntryEntity } from './persistence/ledger-entry.entity.js';

/** The double-entry ledger: balanced, append-only postings in integer minor units. */
@Module({
  imports: [TypeOrmModule.forFeature([LedgerEntryEntity])],
  providers: [LedgerApi],
  exports: [LedgerApi],
})
export class LedgerModule {}
