/**
 * The drill's fault schedules. Each `inject` runs while the load runs and returns when its last
 * fault is over; it records the windows in which Redis could not answer (no `/v1` command may
 * fail then) and whether every request must succeed (the rolling restart).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { PrivateRedis } from '../../test/support/private-redis.js';
import type { Deployment, Instance } from './deployment.js';
import type { PrivatePostgres } from './private-postgres.js';

/** The controls a target gives; a staging run has only some. */
export interface FaultContext {
  deployment?: Deployment;
  postgres?: PrivatePostgres;
  /** `pg_terminate_backend` on the app's connections (a staging run with DRILL_DATABASE_ADMIN_URL). */
  terminateConnections?: (database: string) => Promise<number>;
  databaseName: string;
  redis?: PrivateRedis;
  stub?: { configure(patch: object): Promise<void> };
  log(line: string): void;
}

type Need = 'processes' | 'redis' | 'postgres' | 'pg-admin' | 'stub';

/** Whether `ctx` gives what `need` names. */
export function available(ctx: FaultContext, need: Need): boolean {
  switch (need) {
    case 'processes':
      return ctx.deployment !== undefined;
    case 'redis':
      return ctx.redis !== undefined;
    case 'postgres':
      return ctx.postgres !== undefined;
    case 'pg-admin':
      return ctx.postgres !== undefined || ctx.terminateConnections !== undefined;
    case 'stub':
      return ctx.stub !== undefined;
  }
}

export interface FaultRecord {
  /** Intervals (epoch ms) in which Redis was stopped, frozen or emptied. */
  redisDown: Array<[number, number]>;
  notes: string[];
}

export interface Scenario {
  name: string;
  summary: string;
  /** What it needs to control: scenarios whose needs a staging run lacks are skipped. */
  needs: Need[];
  /** Every HTTP request during the scenario must succeed. */
  zeroFailures?: boolean;
  inject(ctx: FaultContext, record: FaultRecord): Promise<void>;
}

/** The provider's fault settings, and the same settings back to none. */
export const PROVIDER_FAULTS = {
  timeoutAfterChargeRate: 0.3,
  timeoutAnswerDelayMs: 0,
  pendingRate: 0.3,
  settleDelayMs: 500,
  webhookDelayMs: 3000,
  webhookDuplicateRate: 0.3,
  webhookReorderRate: 0.3,
  webhookDropRate: 0.2,
};
export const PROVIDER_HEALTHY = {
  timeoutAfterChargeRate: 0,
  pendingRate: 0,
  settleDelayMs: 200,
  webhookDelayMs: 0,
  webhookDuplicateRate: 0,
  webhookReorderRate: 0,
  webhookDropRate: 0,
};

async function killAndRestart(ctx: FaultContext, instance: Instance): Promise<void> {
  await ctx.deployment!.kill(instance);
  const t0 = Date.now();
  await ctx.deployment!.restart(instance);
  ctx.log(`    SIGKILL ${instance.name}; started again in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

async function redisDown(record: FaultRecord, fault: () => Promise<void>): Promise<void> {
  const start = Date.now();
  await fault();
  record.redisDown.push([start, Date.now()]);
}

export const SCENARIOS: Scenario[] = [
  {
    name: 'worker-kill',
    summary: 'a worker SIGKILLed mid-handler five times (BullMQ stalled-job path), restarted each time',
    needs: ['processes'],
    async inject(ctx) {
      const workers = ctx.deployment!.of('worker');
      for (let i = 0; i < 5; i++) {
        await killAndRestart(ctx, workers[i % workers.length]);
        await sleep(1000);
      }
    },
  },
  {
    name: 'relay-kill',
    summary: 'each relay SIGKILLed mid-batch in turn, restarted',
    needs: ['processes'],
    async inject(ctx) {
      for (const relay of ctx.deployment!.of('relay')) {
        await killAndRestart(ctx, relay);
        await sleep(1000);
      }
    },
  },
  {
    name: 'redis-restart',
    summary: 'Redis SIGKILLed and started again empty 5 s later (no persistence)',
    needs: ['redis'],
    async inject(ctx, record) {
      const redis = ctx.redis!;
      await redisDown(record, async () => {
        await redis.kill();
        ctx.log('    Redis killed');
        await sleep(5000);
        await redis.start();
      });
      ctx.log('    Redis started, empty');
    },
  },
  {
    name: 'redis-flushall',
    summary: 'Redis FLUSHALL: every queue, job and lock lost at once',
    needs: ['redis'],
    async inject(ctx, record) {
      await redisDown(record, async () => {
        await ctx.redis!.command('FLUSHALL');
        await sleep(3000); // the queues are gone: the next seconds are the ones that matter
      });
      ctx.log('    FLUSHALL');
    },
  },
  {
    name: 'redis-freeze',
    summary: 'Redis frozen (SIGSTOP) for 15 s, then resumed (SIGCONT)',
    needs: ['redis'],
    async inject(ctx, record) {
      await redisDown(record, async () => {
        ctx.redis!.freeze();
        ctx.log('    Redis frozen');
        await sleep(15_000);
        ctx.redis!.thaw();
      });
      ctx.log('    Redis resumed');
    },
  },
  {
    name: 'pg-terminate',
    summary: 'every app connection terminated in PostgreSQL (pg_terminate_backend), twice 3 s apart',
    needs: ['pg-admin'],
    async inject(ctx) {
      const terminate = ctx.terminateConnections ?? ((db: string) => ctx.postgres!.terminateConnections(db));
      for (let i = 0; i < 2; i++) {
        const n = await terminate(ctx.databaseName);
        ctx.log(`    terminated ${n} connections`);
        if (i === 0) await sleep(3000);
      }
    },
  },
  {
    name: 'pg-restart',
    summary: 'PostgreSQL restarted (pg_ctl restart -m fast on the private cluster)',
    needs: ['postgres'],
    async inject(ctx) {
      const t0 = Date.now();
      await ctx.postgres!.restart();
      ctx.log(`    PostgreSQL restarted in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    },
  },
  {
    name: 'provider-faults',
    summary:
      'for 20 s the provider times out after charging 30% of charges, leaves 30% pending, and sends webhooks 3 s late, twice (30%), out of order (30%) or never (20%)',
    needs: ['stub'],
    async inject(ctx) {
      await ctx.stub!.configure(PROVIDER_FAULTS);
      await sleep(20_000);
      await ctx.stub!.configure(PROVIDER_HEALTHY);
    },
  },
  {
    name: 'rolling-restart',
    summary: 'every process SIGTERMed and started again, one at a time, under load (apis leave rotation first)',
    needs: ['processes'],
    zeroFailures: true,
    async inject(ctx, record) {
      for (const instance of ctx.deployment!.instances) {
        const code = await ctx.deployment!.terminate(instance);
        if (code !== 0) record.notes.push(`${instance.name} exited with ${code} on SIGTERM`);
        await ctx.deployment!.restart(instance);
        ctx.log(`    ${instance.name} restarted (exit ${code})`);
      }
    },
  },
];
