import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { eventually } from './eventually.js';

/** A compiled file of `npm test`'s build, by its path from the project root. */
const built = (...path: string[]) => join(process.cwd(), process.env.TEST_BUILD_DIR ?? '.test-build', ...path);

/** The compiled entry point that `npm test` builds before running the suites. */
const MAIN = built('src', 'main.js');

/** The same app with the probe routes mounted (test/support/probe-main.ts). */
export const PROBE_MAIN = built('test', 'support', 'probe-main.js');

/** The same app with the ordered test subscriber and a route that appends its events (test/support/ordered-main.ts). */
export const ORDERED_MAIN = built('test', 'support', 'ordered-main.js');

/** A real app process, with everything it printed. */
export interface AppProcess {
  child: ChildProcess;
  output(): string;
  /** Resolves with the exit code (or the signal name) once the process has exited. */
  exited: Promise<number | string>;
}

export function spawnApp(env: Record<string, string>, entry = MAIN): AppProcess {
  const child = spawn(process.execPath, [entry], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | string>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );
  return { child, output: () => output, exited };
}

/** How long a spawned app may take to answer: a cold start on a busy 2-core machine can take over 30 s (suites give their hooks 60 s). */
const READY_TIMEOUT_MS = 50_000;

/**
 * Waits until the process answers `/health/ready` on `port`. Until it listens, each poll is refused
 * (ECONNREFUSED): that is expected and not reported; if it never gets ready, the error says so once,
 * with what the app printed, instead of the last poll's bare `fetch failed` stack.
 */
export async function waitUntilReady(port: number, app: AppProcess): Promise<void> {
  const started = Date.now();
  try {
    await eventually(
      async () => {
        if (app.child.exitCode !== null) throw new Error(`app exited early:\n${app.output()}`);
        const response = await fetch(`http://127.0.0.1:${port}/health/ready`);
        if (response.status !== 200) throw new Error(`not ready: ${response.status}`);
      },
      { timeoutMs: READY_TIMEOUT_MS, intervalMs: 100 },
    );
  } catch (error) {
    const last = error instanceof Error ? (describeCause(error) ?? error.message) : String(error);
    throw new Error(
      `app on port ${port} not ready after ${Date.now() - started} ms (last poll: ${last}); its output:\n${app.output()}`,
    );
  }
}

/** `fetch failed` carries the socket error (ECONNREFUSED, …) in `cause`. */
function describeCause(error: Error): string | undefined {
  const cause = error.cause;
  return cause instanceof Error ? `${error.message}: ${cause.message}` : undefined;
}

/** A free local TCP port. */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}
