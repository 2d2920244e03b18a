import { writeFileSync, mkdirSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import path from 'node:path';

/**
 * Diagnostic (BENCH_CPU_PROFILE=dir): records a V8 CPU profile of this process over one phase and
 * writes it to `dir/<label>.cpuprofile` (open it in Chrome DevTools or speedscope). Sampling adds a
 * little load of its own, so a profiled run's figures are for diagnosis, not for the record.
 */
export async function profiled<T>(label: string, phase: () => Promise<T>): Promise<T> {
  const dir = process.env.BENCH_CPU_PROFILE;
  if (!dir) return phase();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  try {
    return await phase();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    session.disconnect();
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, `${label}.cpuprofile`), JSON.stringify(profile));
  }
}
