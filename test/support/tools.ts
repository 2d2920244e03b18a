/**
 * Programs outside Node that some tests need (promtool, Chromium, PgBouncer, redis-server, a compose
 * CLI). On a machine without one such a test does not run, and the end-of-run report names it with
 * the way to install the program (`describeWithTool`/`itWithTool` in test/support/suite-backends.ts):
 * never a silent skip. With TEST_REQUIRE_TOOLS=1
 * (`.ci/run` sets it, after installing every tool) a missing program fails the test instead, so CI
 * cannot pass without having run them.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export interface Tool {
  /** How the report names it. */
  name: string;
  /** The command that runs it (argv), or undefined when it is not on this machine. */
  command(): string[] | undefined;
  /** How to get it. */
  install: string;
}

function onPath(binary: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${binary}`], { encoding: 'utf8' }).status === 0;
}

export const PROMTOOL: Tool = {
  name: 'promtool',
  command: () => (onPath('promtool') ? ['promtool'] : undefined),
  install: 'apt-get install -y --no-install-recommends prometheus',
};

/** Debian's Chromium, or the browser CHROMIUM_PATH points at. */
export const CHROMIUM: Tool = {
  name: 'Chromium',
  command: () => {
    const path = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
    return existsSync(path) ? [path] : undefined;
  },
  install: 'apt-get install -y chromium, or set CHROMIUM_PATH',
};

/** For suites that start their own Redis processes (test/support/private-redis*.ts). */
export const REDIS_SERVER: Tool = {
  name: 'redis-server and redis-cli',
  command: () => (onPath('redis-server') && onPath('redis-cli') ? ['redis-server'] : undefined),
  install: 'apt-get install -y redis-server redis-tools',
};

export const PGBOUNCER: Tool = {
  name: 'PgBouncer',
  command: () => (onPath('pgbouncer') ? ['pgbouncer'] : undefined),
  install: 'apt-get install -y pgbouncer',
};

/** `docker compose` (v2 plugin) or `docker-compose` (v1), whichever answers `version`. */
export const COMPOSE: Tool = {
  name: 'a docker compose CLI',
  command: () => {
    for (const cli of [['docker', 'compose'], ['docker-compose']]) {
      if (spawnSync(cli[0], [...cli.slice(1), 'version'], { encoding: 'utf8' }).status === 0) return cli;
    }
    return undefined;
  },
  install: 'apt-get install -y docker-compose (no daemon needed)',
};

/** True when TEST_REQUIRE_TOOLS asks that a missing tool fail its tests rather than skip them. */
export function toolsRequired(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.TEST_REQUIRE_TOOLS === '1' || env.TEST_REQUIRE_TOOLS === 'true';
}

/**
 * Why a test that needs `tool` should be skipped here: the tool is missing and tools are not
 * required. Undefined when it should run (the tool is here, or tools are required and the test will
 * fail on the missing program). test/support/suite-backends.ts records the skip.
 */
export function toolSkipReason(tool: Tool): string | undefined {
  if (tool.command() !== undefined || toolsRequired()) return undefined;
  return `${tool.name} is not installed (${tool.install}; .ci/run installs it and sets TEST_REQUIRE_TOOLS=1)`;
}
