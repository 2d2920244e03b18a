/**
 * Loaded into the app by `bench:flows` (`node --import …/profile-hook.js dist/src/main.js`, never in
 * production): SIGUSR2 starts a V8 CPU profile of the app, the next SIGUSR2 stops it. Each start
 * writes the marker `started-<n>`, each stop `cost-<n>.cpuprofile`, in BENCH_PROFILE_DIR, so the
 * profile covers exactly the measured flows and not the app's start-up.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';

const dir = process.env.BENCH_PROFILE_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  let n = 0;
  let running = false;
  const post = (method: string, params?: object) =>
    new Promise<unknown>((resolve, reject) =>
      session.post(method, params, (error, result) => (error ? reject(error) : resolve(result))),
    );
  process.on('SIGUSR2', () => {
    void (async () => {
      if (!running) {
        running = true;
        n++;
        await post('Profiler.enable');
        await post('Profiler.setSamplingInterval', { interval: 500 });
        await post('Profiler.start');
        writeFileSync(join(dir, `started-${n}`), '');
      } else {
        running = false;
        const { profile } = (await post('Profiler.stop')) as { profile: unknown };
        const file = join(dir, `cost-${n}.cpuprofile`);
        writeFileSync(`${file}.tmp`, JSON.stringify(profile));
        renameSync(`${file}.tmp`, file);
      }
    })();
  });
}
