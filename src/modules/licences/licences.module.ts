import { Module } from '@nestjs/common';

/** Licence applications, blocked while the citizen has outstanding debts. */
@Module({})
export class LicencesModule {}
