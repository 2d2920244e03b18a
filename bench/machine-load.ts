/**
 * Who used the machine's CPUs during a measurement, from /proc (Linux): this benchmark process,
 * the PostgreSQL backends of the benchmark's database, other PostgreSQL processes (background
 * workers, and other databases: tests running on the same server), Redis, and everything else.
 * On a shared machine the "others" columns say how much a figure was disturbed.
 */
import { readdirSync, readFileSync } from 'node:fs';

interface ProcessTicks {
  ticks: number;
  group: 'self' | 'pg-bench' | 'pg-shared' | 'pg-other-db' | 'redis' | 'other';
}

export interface Snapshot {
  machineTotal: number;
  machineBusy: number;
  machineSteal: number;
  processes: Map<number, ProcessTicks>;
}

export interface CpuShare {
  /** Whole machine busy, % of all CPUs. */
  busy: number;
  self: number;
  /** Backends (and autovacuum workers) of the benchmark's database. */
  pgBench: number;
  /** PostgreSQL background processes shared by every database (WAL writer, checkpointer…). */
  pgShared: number;
  /** Backends of other databases: other work on the same server, which disturbs the figures. */
  pgOtherDb: number;
  redis: number;
  /**
   * Time the hypervisor gave this VM's CPUs to someone else while they had work ("steal" in
   * /proc/stat): disturbance from outside the machine, counted in `busy` but not in `other`.
   */
  steal: number;
  /** Busy time not attributed to the above: other processes (tests, builds), the kernel, exited processes. */
  other: number;
}

function machine(): { total: number; busy: number; steal: number } {
  // user nice system idle iowait irq softirq steal
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1, 9).map(Number);
  const total = fields.reduce((a, b) => a + b, 0);
  return { total, busy: total - fields[3] - fields[4], steal: fields[7] };
}

function groupOf(pid: number, comm: string, databaseName: string): ProcessTicks['group'] {
  if (pid === process.pid) return 'self';
  if (comm.startsWith('redis')) return 'redis';
  if (comm === 'postgres') {
    let title = '';
    try {
      title = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      /* exited */
    }
    const words = title.split(/[\s\0]+/);
    if (words.includes(databaseName)) return 'pg-bench';
    // Client backends read "user database host(port) state"; autovacuum workers name their database.
    return /\(\d+\)|autovacuum worker|parallel worker/.test(title) ? 'pg-other-db' : 'pg-shared';
  }
  return 'other';
}

/** Reads the CPU time of every process now; `databaseName` picks out the benchmark's backends. */
export function snapshot(databaseName: string): Snapshot {
  const { total, busy, steal } = machine();
  const processes = new Map<number, ProcessTicks>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const rest = stat
        .slice(stat.lastIndexOf(')') + 2)
        .split(' ')
        .map(Number);
      // Fields 14 and 15 (utime, stime) are at 11 and 12 after "pid (comm)".
      processes.set(pid, { ticks: rest[11] + rest[12], group: groupOf(pid, comm, databaseName) });
    } catch {
      // The process exited between readdir and read.
    }
  }
  return { machineTotal: total, machineBusy: busy, machineSteal: steal, processes };
}

/** CPU shares between two snapshots, each as % of the whole machine (all CPUs). */
export function cpuShare(before: Snapshot, after: Snapshot): CpuShare {
  const elapsed = after.machineTotal - before.machineTotal;
  const sums = { self: 0, 'pg-bench': 0, 'pg-shared': 0, 'pg-other-db': 0, redis: 0, other: 0 };
  for (const [pid, now] of after.processes) {
    const then = before.processes.get(pid);
    sums[now.group] += now.ticks - (then?.ticks ?? 0);
  }
  const pct = (ticks: number) => (elapsed > 0 ? (ticks / elapsed) * 100 : 0);
  const busy = pct(after.machineBusy - before.machineBusy);
  const steal = pct(after.machineSteal - before.machineSteal);
  const attributed = sums.self + sums['pg-bench'] + sums['pg-shared'] + sums['pg-other-db'] + sums.redis;
  return {
    busy,
    self: pct(sums.self),
    pgBench: pct(sums['pg-bench']),
    pgShared: pct(sums['pg-shared']),
    pgOtherDb: pct(sums['pg-other-db']),
    redis: pct(sums.redis),
    steal,
    other: Math.max(0, busy - steal - pct(attributed)),
  };
}
