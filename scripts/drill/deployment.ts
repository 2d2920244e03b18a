/**
 * The deployment the drill attacks: separate production processes of the built app, one role set
 * each (`APP_ROLES`): 2 × api, 2 × relay, 2 × worker, 1 × scheduler, against the drill's own
 * PostgreSQL database and Redis, charging through the stub provider. Started with
 * bench/flows/processes.ts, so a process is the same one `bench:flows` measures.
 */
import { mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../../test/support/app-process.js';
import { type Child, startApp, stopChild } from '../../bench/flows/processes.js';

export type Role = 'api' | 'relay' | 'worker' | 'scheduler';
export const TOPOLOGY: ReadonlyArray<{ role: Role; count: number }> = [
  { role: 'api', count: 2 },
  { role: 'relay', count: 2 },
  { role: 'worker', count: 2 },
  { role: 'scheduler', count: 1 },
];

export interface Instance {
  name: string;
  role: Role;
  port: number;
  proc: Child & { url: string };
  /** Whether the load balancer (the drill's client) sends requests to it. */
  inRotation: boolean;
}

export interface DeploymentOptions {
  databaseUrl: string;
  redisUrl: string;
  queuePrefix: string;
  gatewayUrl: string;
  extraEnv?: Record<string, string>;
}

export class Deployment {
  readonly instances: Instance[] = [];

  constructor(private readonly options: DeploymentOptions) {}

  /** Every process; the api first, so the schema is migrated once before the others start. */
  async start(): Promise<void> {
    const all = TOPOLOGY.flatMap(({ role, count }) =>
      Array.from({ length: count }, (_, i) => ({ role, name: `${role}-${i + 1}` })),
    );
    const [first, ...rest] = all;
    this.instances.push(await this.launch(first.role, first.name));
    this.instances.push(...(await Promise.all(rest.map(({ role, name }) => this.launch(role, name)))));
  }

  private async launch(role: Role, name: string, port?: number): Promise<Instance> {
    const chosen = port ?? (await freePort());
    const proc = await startApp({
      roles: role,
      port: chosen,
      databaseUrl: this.options.databaseUrl,
      redisUrl: this.options.redisUrl,
      queuePrefix: this.options.queuePrefix,
      gatewayUrl: this.options.gatewayUrl,
      // Roles without HTTP report readiness in the log (bench/flows/processes.ts).
      extraEnv: { LOG_LEVEL: role === 'api' ? 'warn' : 'info', ...this.options.extraEnv },
    });
    return { name, role, port: chosen, proc, inRotation: true };
  }

  of(role: Role): Instance[] {
    return this.instances.filter((i) => i.role === role);
  }

  /** The api URLs the client may send to now. */
  apiUrls(): string[] {
    return this.of('api')
      .filter((i) => i.inRotation)
      .map((i) => i.proc.url);
  }

  /** SIGKILL: no shutdown hook runs, in-flight work is abandoned where it stands. */
  async kill(instance: Instance): Promise<void> {
    const { child } = instance.proc;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  /** SIGSTOP: the process stands still where it is, its PostgreSQL transactions stay open. */
  freeze(instance: Instance): void {
    instance.proc.child.kill('SIGSTOP');
  }

  /** SIGCONT after {@link freeze}. */
  thaw(instance: Instance): void {
    instance.proc.child.kill('SIGCONT');
  }

  /**
   * SIGTERM and wait for the process to exit by itself (it drains: HTTP, workers, relay); returns
   * its exit code. An api is taken out of rotation first and given a moment, as a load balancer
   * deregisters a target before the platform stops it.
   */
  async terminate(instance: Instance, deregisterMs = 1000): Promise<number | string> {
    if (instance.role === 'api') {
      instance.inRotation = false;
      await sleep(deregisterMs);
    }
    const { child } = instance.proc;
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode ?? child.signalCode ?? 'gone';
    const exited = new Promise<number | string>((resolve) =>
      child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
    );
    child.kill('SIGTERM');
    return exited;
  }

  /** Starts the instance again (same name, same port) and puts it back into rotation once ready. */
  async restart(instance: Instance): Promise<void> {
    const fresh = await this.launch(instance.role, instance.name, instance.port);
    instance.proc = fresh.proc;
    instance.inRotation = true;
  }

  /** Processes that exited without being asked to (a crash): each is a finding. */
  crashed(): string[] {
    return this.instances.filter((i) => i.proc.child.exitCode !== null).map((i) => i.name);
  }

  async stop(): Promise<void> {
    await Promise.all(this.instances.map((i) => stopChild(i.proc.child, 30_000)));
    // DRILL_LOG_DIR: what each process printed (its last incarnation), for a post-mortem.
    const dir = process.env.DRILL_LOG_DIR;
    if (dir) {
      mkdirSync(dir, { recursive: true });
      for (const i of this.instances) writeFileSync(join(dir, `${i.name}.log`), i.proc.output());
    }
  }
}

/**
 * The local TCP ports of a process's sockets (Linux: its fds' socket inodes looked up in its
 * network namespace's tcp tables), so its PostgreSQL backends can be found by `client_port`.
 */
export function socketPorts(pid: number): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match) inodes.add(match[1]);
    } catch {
      // closed between the listing and the read
    }
  }
  const ports: number[] = [];
  for (const table of ['tcp', 'tcp6']) {
    let text = '';
    try {
      text = readFileSync(`/proc/${pid}/net/${table}`, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length > 9 && inodes.has(fields[9])) ports.push(parseInt(fields[1].split(':')[1], 16));
    }
  }
  return ports;
}
