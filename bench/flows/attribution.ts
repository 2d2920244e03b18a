/**
 * Attributes a V8 CPU profile's samples to the steps of a flow by the file paths of the frames:
 * for each sample, the innermost frame that belongs to the app or a package decides (a socket write
 * made by `pg` counts as the PostgreSQL driver, a `crypto` call made by `jsonwebtoken` as HTTP and
 * auth). Frames of Node's own internals are passed over on the way out to the caller.
 */

export const STEP_ORDER = [
  'HTTP & auth',
  'debts handlers',
  'payments handlers',
  'licences handlers',
  'fulfilment handlers',
  'other app code',
  'outbox relay',
  'delivery (outbox delivery, bullmq)',
  'outbox other',
  'tracing (src/platform/tracing, relay-tracing, @opentelemetry)',
  'pg driver',
  'ioredis',
  'typeorm',
  'GC',
  'other (node internals, program)',
  'idle',
] as const;
export type Step = (typeof STEP_ORDER)[number];

const HTTP_PACKAGES =
  /node_modules\/(express|router|body-parser|raw-body|jsonwebtoken|jws|jwa|pino-http|pino|pino-std-serializers|sonic-boom|helmet|cors|@nestjs\/(core|common|platform-express|throttler|jwt|passport|swagger|terminus)|@nest-lab|class-validator|class-transformer|validator|path-to-regexp|finalhandler|send|on-finished|qs|content-type|type-is|accepts|negotiator|mime-types|iconv-lite|cookie|vary|depd|http-errors|statuses|proxy-addr|forwarded|parseurl|encodeurl|escape-html|etag|fresh|range-parser|ipaddr\.js|prom-client)\//;

/** The step of one frame's script URL, or undefined for frames that do not decide (Node internals). */
export function stepOf(url: string, functionName: string): Step | undefined {
  if (url === '') {
    if (functionName === '(garbage collector)') return 'GC';
    if (functionName === '(idle)') return 'idle';
    if (functionName === '(program)' || functionName === '(root)') return 'other (node internals, program)';
    return undefined;
  }
  if (url.startsWith('node:')) return undefined;
  const path = url.replace(/^file:\/\//, '');
  if (/node_modules\/(pg|pg-protocol|pg-pool|pg-types|pgpass|postgres-[a-z]+)\//.test(path)) return 'pg driver';
  if (/node_modules\/(ioredis|@ioredis|redis-parser|denque|cluster-key-slot|standard-as-callback)\//.test(path))
    return 'ioredis';
  if (/node_modules\/(bullmq|msgpackr|cron-parser|luxon)\//.test(path)) return 'delivery (outbox delivery, bullmq)';
  if (/node_modules\/typeorm\//.test(path)) return 'typeorm';
  if (/node_modules\/@opentelemetry\/|\/src\/platform\/tracing\/|\/src\/outbox\/relay\/relay-tracing\./.test(path)) {
    return 'tracing (src/platform/tracing, relay-tracing, @opentelemetry)';
  }
  if (HTTP_PACKAGES.test(path)) return 'HTTP & auth';
  if (/\/src\/platform\//.test(path)) return 'HTTP & auth';
  const module = /\/src\/modules\/(debts|payments|licences|fulfilment)\//.exec(path);
  if (module) return `${module[1]} handlers` as Step;
  if (/\/src\/outbox\/relay\//.test(path)) return 'outbox relay';
  if (/\/src\/outbox\/delivery\//.test(path)) return 'delivery (outbox delivery, bullmq)';
  if (/\/src\/outbox\//.test(path)) return 'outbox other';
  if (/\/src\//.test(path)) return 'other app code';
  return 'other (node internals, program)';
}

interface ProfileNode {
  id: number;
  callFrame: { url: string; functionName: string };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Milliseconds of samples per step. */
export function attribute(profile: Profile): Map<Step, number> {
  const parent = new Map<number, number>();
  const byId = new Map<number, ProfileNode>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  const stepCache = new Map<number, Step>();
  const stepOfNode = (id: number): Step => {
    const cached = stepCache.get(id);
    if (cached) return cached;
    let step: Step | undefined;
    for (let at: number | undefined = id; at !== undefined && step === undefined; at = parent.get(at)) {
      const frame = byId.get(at)?.callFrame;
      if (frame) step = stepOf(frame.url, frame.functionName);
    }
    step ??= 'other (node internals, program)';
    stepCache.set(id, step);
    return step;
  };
  const totals = new Map<Step, number>();
  // timeDeltas[i] is the time before sample i; sample i's duration is the next delta.
  for (let i = 0; i < profile.samples.length; i++) {
    const us = profile.timeDeltas[i + 1] ?? 0;
    const step = stepOfNode(profile.samples[i]);
    totals.set(step, (totals.get(step) ?? 0) + us / 1000);
  }
  return totals;
}
