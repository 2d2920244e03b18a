import { Module } from '@nestjs/common';

/** Catalogue, bucketed stock, orders, routing, reservation and shipping. */
@Module({})
export class FulfilmentModule {}
