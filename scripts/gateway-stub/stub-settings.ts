/**
 * The stub provider's settings: read from `STUB_*` environment variables at start, and changeable
 * while it runs through `PATCH /_stub/settings` (tests reconfigure one stub between cases).
 */
export interface StubSettings {
  /** The only key accepted as `Authorization: Bearer <key>`; anything else is a 401. */
  apiKey: string;
  /** Where result webhooks are posted (the app's `/v1/payments/gateway-webhook`); none when unset. */
  webhookUrl: string | undefined;
  /** Signs webhooks (`X-Gateway-Signature`); the app's `GATEWAY_WEBHOOK_SECRET`. */
  webhookSecret: string;
  /** Every API call waits this long before it is handled. */
  latencyMs: number;
  /** A new charge is declined (`failed`, `failureCode: card_declined`). */
  declineRate: number;
  /** Any API call answers 503 before doing anything. */
  errorRate: number;
  /** A charge request answers 422 `{ error, message }` before doing anything. */
  rejectRate: number;
  /** A new charge is recorded, then answered only after `timeoutAnswerDelayMs` (0: never). */
  timeoutAfterChargeRate: number;
  timeoutAnswerDelayMs: number;
  /** A new charge is answered `pending` and decided `settleDelayMs` later (its webhook follows). */
  pendingRate: number;
  settleDelayMs: number;
  /** Every webhook is posted this long after its charge was decided. */
  webhookDelayMs: number;
  /** A webhook is posted twice (the same event id, as a provider's redelivery). */
  webhookDuplicateRate: number;
  /** A webhook is never posted. */
  webhookDropRate: number;
  /**
   * A webhook is held back until the next webhook has gone out (or `webhookReorderMaxMs` passed),
   * so results reach the app in another order than the provider decided them.
   */
  webhookReorderRate: number;
  webhookReorderMaxMs: number;
}

/** The settings a stub starts with when nothing is set: no faults, webhooks off. */
export const DEFAULT_STUB_SETTINGS: StubSettings = {
  apiKey: 'stub-dev-api-key',
  webhookUrl: undefined,
  webhookSecret: 'dev-only-webhook-secret',
  latencyMs: 0,
  declineRate: 0,
  errorRate: 0,
  rejectRate: 0,
  timeoutAfterChargeRate: 0,
  timeoutAnswerDelayMs: 0,
  pendingRate: 0,
  settleDelayMs: 200,
  webhookDelayMs: 0,
  webhookDuplicateRate: 0,
  webhookDropRate: 0,
  webhookReorderRate: 0,
  webhookReorderMaxMs: 2000,
};

/** Each setting's environment variable. */
export const STUB_ENV: Record<keyof StubSettings, string> = {
  apiKey: 'STUB_API_KEY',
  webhookUrl: 'STUB_WEBHOOK_URL',
  webhookSecret: 'STUB_WEBHOOK_SECRET',
  latencyMs: 'STUB_LATENCY_MS',
  declineRate: 'STUB_DECLINE_RATE',
  errorRate: 'STUB_ERROR_RATE',
  rejectRate: 'STUB_REJECT_RATE',
  timeoutAfterChargeRate: 'STUB_TIMEOUT_AFTER_CHARGE_RATE',
  timeoutAnswerDelayMs: 'STUB_TIMEOUT_ANSWER_DELAY_MS',
  pendingRate: 'STUB_PENDING_RATE',
  settleDelayMs: 'STUB_SETTLE_DELAY_MS',
  webhookDelayMs: 'STUB_WEBHOOK_DELAY_MS',
  webhookDuplicateRate: 'STUB_WEBHOOK_DUPLICATE_RATE',
  webhookDropRate: 'STUB_WEBHOOK_DROP_RATE',
  webhookReorderRate: 'STUB_WEBHOOK_REORDER_RATE',
  webhookReorderMaxMs: 'STUB_WEBHOOK_REORDER_MAX_MS',
};

/**
 * Merges `input` (environment strings or a JSON patch) into `base`; throws one line per bad value.
 * Rates are numbers from 0 to 1, durations whole milliseconds.
 */
export function mergeStubSettings(
  base: StubSettings,
  input: Partial<Record<keyof StubSettings, unknown>>,
): StubSettings {
  const next: StubSettings = { ...base };
  const problems: string[] = [];
  for (const key of Object.keys(input) as Array<keyof StubSettings>) {
    const raw = input[key];
    if (!(key in DEFAULT_STUB_SETTINGS)) {
      problems.push(`unknown setting ${String(key)}`);
      continue;
    }
    if (raw === undefined) continue;
    if (key === 'webhookUrl') {
      next.webhookUrl = raw === null || raw === '' ? undefined : String(raw);
    } else if (key === 'apiKey' || key === 'webhookSecret') {
      if (typeof raw !== 'string' || raw === '') problems.push(`${STUB_ENV[key]} must be a non-empty string`);
      else next[key] = raw;
    } else {
      const value = typeof raw === 'number' ? raw : Number(raw);
      const rate = key.endsWith('Rate');
      if (!Number.isFinite(value) || value < 0 || (rate ? value > 1 : !Number.isInteger(value))) {
        problems.push(
          `${STUB_ENV[key]} must be ${rate ? 'a number from 0 to 1' : 'whole milliseconds'} (got ${String(raw)})`,
        );
      } else {
        next[key] = value;
      }
    }
  }
  if (problems.length > 0) throw new Error(problems.join('; '));
  return next;
}

/** The settings named by `STUB_*` variables in `env`, over the defaults. */
export function stubSettingsFromEnv(env: Record<string, string | undefined>): StubSettings {
  const input: Partial<Record<keyof StubSettings, unknown>> = {};
  for (const [key, name] of Object.entries(STUB_ENV) as Array<[keyof StubSettings, string]>) {
    const value = env[name];
    if (value !== undefined && value !== '') input[key] = value;
  }
  return mergeStubSettings(DEFAULT_STUB_SETTINGS, input);
}

/** A small seeded PRNG (mulberry32) in [0, 1): `STUB_SEED` makes a run's faults repeatable. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
