import type { ThrottlerStorage } from '@nestjs/throttler';
import type { Cluster, Redis } from 'ioredis';
import type { ThrottlerStorageRecord } from './failover-throttler-storage.js';

/** One request's hit, waiting for the next flush. */
interface PendingHit {
  readonly hitKey: string;
  readonly blockKey: string;
  readonly ttl: number;
  readonly limit: number;
  readonly blockDuration: number;
  resolve(record: ThrottlerStorageRecord): void;
  reject(error: unknown): void;
}

/**
 * Applies each hit in the order given, with the rules of `@nest-lab/throttler-storage-redis`'s
 * script (a fixed window of `ttl` ms, a block of `blockDuration` ms once the limit is passed), and
 * answers `totalHits, timeToExpire, isBlocked, timeToBlockExpire` per hit, flattened.
 * KEYS: hitKey1, blockKey1, hitKey2, blockKey2, …; ARGV: ttl1, limit1, blockDuration1, ttl2, …
 */
const COUNT_HITS = `
local answers = {}
for i = 1, #KEYS / 2 do
  local hitKey = KEYS[2 * i - 1]
  local blockKey = KEYS[2 * i]
  local ttl = tonumber(ARGV[3 * i - 2])
  local limit = tonumber(ARGV[3 * i - 1])
  local blockDuration = tonumber(ARGV[3 * i])
  local totalHits = redis.call('INCR', hitKey)
  local timeToExpire = redis.call('PTTL', hitKey)
  if timeToExpire <= 0 then
    redis.call('PEXPIRE', hitKey, ttl)
    timeToExpire = ttl
  end
  local isBlocked = redis.call('GET', blockKey)
  local timeToBlockExpire = 0
  if isBlocked then
    timeToBlockExpire = redis.call('PTTL', blockKey)
  elseif totalHits > limit then
    redis.call('SET', blockKey, 1, 'PX', blockDuration)
    isBlocked = '1'
    timeToBlockExpire = blockDuration
  end
  if isBlocked and timeToBlockExpire <= 0 then
    redis.call('DEL', blockKey)
    redis.call('SET', hitKey, 1, 'PX', ttl)
    totalHits = 1
    timeToExpire = ttl
    isBlocked = false
  end
  answers[4 * i - 3] = totalHits
  answers[4 * i - 2] = timeToExpire
  answers[4 * i - 1] = isBlocked and 1 or 0
  answers[4 * i] = timeToBlockExpire
end
return answers
`;

/** The most hits one script call carries; more wait for the next call. */
const MAX_HITS_PER_CALL = 256;

type CountingRedis = (Redis | Cluster) & {
  debtsHubCountHits(...keysAndArgs: Array<string | number>): Promise<unknown>;
};

/**
 * Rate-limit counts in Redis, every hit counted there before its request is let through, with the
 * rules of `@nest-lab/throttler-storage-redis` — but the hits that arrive in one turn of the event
 * loop go to Redis together: one `EVALSHA` of a script that applies them one after another, instead
 * of one `EVAL` (the whole script's text) per request. Under load, when many requests are in flight,
 * that is one round trip for many of them; a lone request waits no longer than before (the flush
 * runs on `setImmediate`). docs/adr/0026-rate-limit-hits-batched-per-turn.md.
 *
 * Keys are `{<key>:<throttler>}:hits` and `…:blocked` as in that package, so the two count the same
 * way. All the keys of one call must live in one slot: on a Redis Cluster the connection's key
 * prefix is a hash tag (`{<prefix>:throttle}:`, RedisConnections.prefixedProducer), which puts
 * every count in one slot, on one master.
 */
export class BatchedRedisThrottlerStorage implements ThrottlerStorage {
  private pending: PendingHit[] = [];
  private scheduled = false;
  private readonly redis: CountingRedis;

  constructor(redis: Redis | Cluster) {
    if (!('debtsHubCountHits' in redis)) {
      // defineCommand sends EVALSHA and falls back to EVAL once when Redis does not know the script.
      redis.defineCommand('debtsHubCountHits', { lua: COUNT_HITS });
    }
    this.redis = redis as CountingRedis;
  }

  increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    return new Promise<ThrottlerStorageRecord>((resolve, reject) => {
      this.pending.push({
        hitKey: `{${key}:${throttlerName}}:hits`,
        blockKey: `{${key}:${throttlerName}}:blocked`,
        ttl,
        limit,
        blockDuration,
        resolve,
        reject,
      });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Sends every waiting hit, in calls of at most {@link MAX_HITS_PER_CALL}. */
  private flush(): void {
    this.scheduled = false;
    const hits = this.pending;
    this.pending = [];
    for (let start = 0; start < hits.length; start += MAX_HITS_PER_CALL) {
      void this.send(hits.slice(start, start + MAX_HITS_PER_CALL));
    }
  }

  private async send(hits: PendingHit[]): Promise<void> {
    const keys: string[] = [];
    const args: number[] = [];
    for (const hit of hits) {
      keys.push(hit.hitKey, hit.blockKey);
      args.push(hit.ttl, hit.limit, hit.blockDuration);
    }
    let answers: unknown;
    try {
      answers = await this.redis.debtsHubCountHits(keys.length, ...keys, ...args);
      if (!Array.isArray(answers) || answers.length !== hits.length * 4 || !answers.every(Number.isInteger)) {
        throw new TypeError(`unexpected rate-limit answer from Redis: ${JSON.stringify(answers)}`);
      }
    } catch (error) {
      for (const hit of hits) hit.reject(error);
      return;
    }
    const numbers = answers as number[];
    hits.forEach((hit, i) =>
      hit.resolve({
        totalHits: numbers[4 * i],
        timeToExpire: Math.ceil(numbers[4 * i + 1] / 1000),
        isBlocked: numbers[4 * i + 2] === 1,
        timeToBlockExpire: Math.ceil(numbers[4 * i + 3] / 1000),
      }),
    );
  }
}
