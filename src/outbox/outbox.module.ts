import { Global, Module } from '@nestjs/common';
import { RedisConnections } from './redis/redis-connections.js';

/** The delivery infrastructure: the only module that knows BullMQ and Redis. */
@Global()
@Module({
  providers: [RedisConnections],
  exports: [RedisConnections],
})
export class OutboxModule {}
