/**
 * Redis memory per waiting delivery job (docs/scaling.md): adds N jobs shaped like the relay's
 * (lane-queues.ts: an outbox envelope, the same options) to a queue under a private prefix,
 * reads `INFO memory` before and after, then deletes every key of that prefix. Never touches other
 * keys. `BENCH_REDIS_JOBS` (default 20000), `BENCH_REDIS_URL`, `BENCH_PAYLOAD_BYTES` (default 200).
 */
import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { v7 as uuidv7 } from 'uuid';
import { deleteRedisKeys } from '../test/support/test-env.js';

const N = Number(process.env.BENCH_REDIS_JOBS ?? 20_000);
const PAYLOAD_BYTES = Number(process.env.BENCH_PAYLOAD_BYTES ?? 200);
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const CHUNK = 500;

async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1]);
}

async function main(): Promise<void> {
  const prefix = `bench-mem-${randomBytes(4).toString('hex')}`;
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const queue = new Queue('default', { connection: redis, prefix: `{${prefix}}` });
  try {
    const payload = { reference: 'x'.repeat(PAYLOAD_BYTES) };
    // Other clients of a shared Redis move used_memory too: three samples before, the median.
    const before = (await Promise.all([usedMemory(redis), usedMemory(redis), usedMemory(redis)])).sort()[1]!;
    for (let i = 0; i < N; i += CHUNK) {
      await queue.addBulk(
        Array.from({ length: Math.min(CHUNK, N - i) }, () => {
          const id = uuidv7();
          return {
            name: 'bench.thing-observed',
            data: {
              id,
              type: 'bench.thing-observed',
              version: 1,
              aggregateType: 'bench',
              aggregateId: uuidv7(),
              aggregateSeq: 1,
              occurredAt: new Date().toISOString(),
              correlationId: uuidv7(),
              causationId: null,
              traceparent: null,
              payload,
            },
            opts: {
              jobId: `${id}.bench-subscriber`,
              attempts: 8,
              backoff: { type: 'exponential', delay: 1000, jitter: 0.5 },
              removeOnComplete: { age: 3600 },
              removeOnFail: { age: 7 * 24 * 3600 },
            },
          };
        }),
      );
    }
    const after = await usedMemory(redis);
    const waiting = await queue.getWaitingCount();
    const perJob = (after - before) / waiting;
    process.stdout.write(
      `${waiting} waiting jobs, payload ${PAYLOAD_BYTES} B: used_memory ${before} -> ${after} B, ` +
        `${perJob.toFixed(0)} B per waiting job (${((perJob * 1_000_000) / 2 ** 30).toFixed(2)} GiB per million)\n`,
    );
  } finally {
    await queue.close();
    await deleteRedisKeys(prefix, REDIS_URL);
    await redis.quit();
  }
}

await main();
