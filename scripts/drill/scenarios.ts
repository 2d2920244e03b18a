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
  /**
   * How many of the PostgreSQL backends of the process `pid` are inside a transaction or running a
   * statement right now (from `pg_stat_activity`, by the process's client ports).
   */
  busyBackends?: (pid: number) => Promise<number>;
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
  /** What went wrong with the injection itself: each is a violation. */
  notes: string[];
  /** Where the faults landed (e.g. how many kills caught the process inside a transaction). */
  landed: string[];
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

async function killAndRestart(ctx: FaultContext, instance: Instance, patienceMs = 3000): Promise<boolean> {
  const busy = await catchBusy(ctx, instance, patienceMs);
  await ctx.deployment!.kill(instance); // SIGKILL ends a stopped process too, where it stands
  const t0 = Date.now();
  await ctx.deployment!.restart(instance);
  ctx.log(
    `    SIGKILL ${instance.name} ${busy > 0 ? `inside ${busy} open transaction(s) or statement(s)` : 'between transactions'}; ` +
      `started again in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
  );
  return busy > 0;
}

/**
 * Freezes `instance` (SIGSTOP) at a moment when one of its PostgreSQL backends is inside a
 * transaction or statement, so the SIGKILL that follows lands there for certain: it is frozen,
 * the backend is checked, and if it was idle the process runs on for a few ms and is tried again
 * (at most `patienceMs`). Returns how many backends were busy (0: caught between transactions). Without a
 * way to see the backends, the process is frozen as it stands.
 */
async function catchBusy(ctx: FaultContext, instance: Instance, patienceMs: number): Promise<number> {
  const { deployment, busyBackends } = ctx;
  const pid = instance.proc.child.pid!;
  const deadline = Date.now() + patienceMs;
  for (;;) {
    deployment!.freeze(instance);
    if (!busyBackends) return 0;
    const busy = await busyBackends(pid);
    if (busy > 0 || Date.now() > deadline) return busy;
    deployment!.thaw(instance);
    await sleep(2 + Math.random() * 20);
  }
}

/** "n of m kills caught …" for the record. */
function landedKills(what: string, caught: boolean[]): string {
  return `${caught.filter(Boolean).length} of ${caught.length} ${what} SIGKILLed inside a transaction or statement`;
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
    async inject(ctx, record) {
      const workers = ctx.deployment!.of('worker');
      const caught: boolean[] = [];
      for (let i = 0; i < 5; i++) {
        caught.push(await killAndRestart(ctx, workers[i % workers.length]));
        await sleep(1000);
      }
      record.landed.push(landedKills('workers', caught));
    },
  },
  {
    name: 'relay-kill',
    summary: 'each relay SIGKILLed mid-batch in turn, restarted',
    needs: ['processes'],
    async inject(ctx, record) {
      const caught: boolean[] = [];
      for (const relay of ctx.deployment!.of('relay')) {
        // A relay spends little of its time in PostgreSQL (one claim, one mark per batch): more tries.
        caught.push(await killAndRestart(ctx, relay, 15_000));
        await sleep(1000);
      }
      record.landed.push(landedKills('relays', caught));
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
