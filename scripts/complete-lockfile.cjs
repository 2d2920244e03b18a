// Adds lock entries for platform-specific optional packages that the npm registry reachable from
// this project's machines cannot serve (404), so `npm ci` accepts the lock; the entries carry os/cpu
// (and libc), so they never install on linux-x64. Run after every `npm install`: npm run lock:complete
const fs = require('fs');
const lock = JSON.parse(fs.readFileSync('package-lock.json', 'utf8'));
const pkgs = lock.packages;
const OS = {
  darwin: 'darwin',
  linux: 'linux',
  win32: 'win32',
  android: 'android',
  freebsd: 'freebsd',
  openharmony: 'openharmony',
  sunos: 'sunos',
  aix: 'aix',
  netbsd: 'netbsd',
  openbsd: 'openbsd',
};
const CPUS = ['arm64', 'x64', 'ia32', 'arm', 'loong64', 'ppc64', 'riscv64', 's390x', 'wasm32', 'mips64el'];
let added = 0;
for (const [path, meta] of Object.entries(pkgs)) {
  for (const [name, spec] of Object.entries(meta.optionalDependencies || {})) {
    const base = path === '' ? '' : path + '/';
    const candidates = [`${base}node_modules/${name}`, `node_modules/${name}`];
    if (candidates.some((c) => pkgs[c])) continue;
    const parts = name.split('/').pop().split('-');
    const os = parts.find((p) => OS[p]);
    const cpu = parts.find((p) => CPUS.includes(p));
    if (!os || !cpu) {
      console.error('cannot place', name, 'of', path);
      continue;
    }
    const entry = { version: spec.replace(/^[\^~=]/, ''), optional: true, os: [os], cpu: [cpu] };
    if (parts.includes('musl') || parts.includes('musleabihf')) entry.libc = ['musl'];
    else if (os === 'linux' && (parts.includes('gnu') || parts.includes('gnueabihf'))) entry.libc = ['glibc'];
    pkgs[`node_modules/${name}`] = entry;
    added++;
  }
}
fs.writeFileSync('package-lock.json', JSON.stringify(lock, null, 2) + '\n');
console.log('added', added);
