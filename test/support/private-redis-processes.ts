import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './app-process.js';

const run = promisify(execFile);

async function freePorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  while (ports.length < count) {
    const port = await freePort();
    if (!ports.includes(port)) ports.push(port);
  }
  return ports;
}

async function freeClusterPorts(count: number): Promise<number[]> {
  const { stdout } = await run('node', [resolve('scripts/redis-cluster/free-ports.cjs'), String(count)]);
  return stdout.trim().split('\n').map(Number);
}

/**
 * Private Redis processes run by one of the scripts in scripts/redis-cluster or scripts/redis-sentinel
 * (`start <dir> <port>...`, `stop <dir>`, ...), in a temporary directory of their own.
 */
export interface RedisProcesses {
  /** Free local ports, one per process, all different. */
  readonly ports: number[];
  /** What `start` printed (the seed or sentinel list). */
  readonly started: string;
  /** Runs `<script> <command> <dir> ...args`; returns its output. */
  script(command: string, ...args: Array<string | number>): Promise<string>;
  /** Stops every process and removes the directory. */
  stop(): Promise<void>;
}

/**
 * Starts `script` (a path from the project root) on `count` free ports, in a new temporary directory;
 * with `clusterBus`, ports whose cluster bus port (+10000) is free too.
 */
export async function startRedisProcesses(
  script: string,
  count: number,
  { clusterBus = false } = {},
): Promise<RedisProcesses> {
  const dir = mkdtempSync(join(tmpdir(), 'debts-hub-redis-'));
  const ports = clusterBus ? await freeClusterPorts(count) : await freePorts(count);
  const call = async (command: string, ...args: Array<string | number>) =>
    (await run('bash', [resolve(script), command, dir, ...args.map(String)])).stdout.trim();
  const stop = async () => {
    await call('stop');
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    return { ports, started: await call('start', ...ports), script: call, stop };
  } catch (error) {
    await stop().catch(() => undefined);
    const { stderr } = error as { stderr?: string };
    throw new Error(`${script} could not start: ${stderr?.trim() || (error as Error).message}`);
  }
}
