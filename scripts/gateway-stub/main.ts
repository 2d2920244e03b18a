/**
 * A stub payment provider: a separate process speaking the protocol of API.md ("Payment gateway
 * protocol") that `PAYMENT_GATEWAY=http` talks to, with fault injection. In memory: it forgets
 * everything when it stops.
 *
 *   npm run gateway:stub                                  (listens on 127.0.0.1:4010)
 *   PAYMENT_GATEWAY=http GATEWAY_URL=http://127.0.0.1:4010 GATEWAY_API_KEY=stub-dev-api-key npm run dev
 *
 * API (Bearer STUB_API_KEY, else 401):
 *   POST /v1/charges  (Idempotency-Key; { amount, currency, reference, metadata: { paymentId, purpose } })
 *        201 { id, status, failureCode?, amount, currency }; same key again 200 (same charge); same key
 *        with another body 422; a decline is 402 { id, failureCode }
 *   GET  /v1/charges?idempotency_key=<key>   200 the charge, 404 none
 *   POST /v1/refunds  (Idempotency-Key; { charge, amount })   201 { id, status }; same key again 200
 * Result webhooks are signed `X-Gateway-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`
 * with STUB_WEBHOOK_SECRET and posted to STUB_WEBHOOK_URL (retried a few times while unreachable).
 *
 * Settings (environment at start; `PATCH /_stub/settings` with the camelCase names while running):
 *   STUB_PORT (4010), STUB_HOST (127.0.0.1), STUB_QUIET (false: logs every call and webhook)
 *   STUB_SEED (unset: Math.random)           an integer makes the fault dice repeat their sequence
 *   STUB_API_KEY (stub-dev-api-key)           the key the app must send (GATEWAY_API_KEY)
 *   STUB_WEBHOOK_URL (unset: no webhooks)     e.g. http://127.0.0.1:3000/v1/payments/gateway-webhook
 *   STUB_WEBHOOK_SECRET (dev-only-webhook-secret, the app's development GATEWAY_WEBHOOK_SECRET)
 *   STUB_LATENCY_MS (0)                       every API call waits this long
 *   STUB_DECLINE_RATE (0)                     new charges declined (card_declined)
 *   STUB_ERROR_RATE (0)                       any API call answers 503 before doing anything
 *   STUB_REJECT_RATE (0)                      charge requests answered 422 with a message
 *   STUB_TIMEOUT_AFTER_CHARGE_RATE (0)        the charge is recorded, then the answer is held back
 *   STUB_TIMEOUT_ANSWER_DELAY_MS (0)          … for this long (0: never answered)
 *   STUB_PENDING_RATE (0)                     new charges answered `pending`, decided later
 *   STUB_SETTLE_DELAY_MS (200)                … this long later (then the webhook follows)
 *   STUB_WEBHOOK_DELAY_MS (0)                 webhooks arrive this late
 *   STUB_WEBHOOK_DUPLICATE_RATE (0)           webhooks posted twice (same event id)
 *   STUB_WEBHOOK_DROP_RATE (0)                webhooks never posted
 *   STUB_WEBHOOK_REORDER_RATE (0)             webhooks held back until the next one went out (out of order)
 *   STUB_WEBHOOK_REORDER_MAX_MS (2000)        … or at most this long
 * Rates are probabilities from 0 to 1 (0 and 1 exact). Inspection (no auth, bind to localhost):
 *   GET /_stub/settings, GET /_stub/charges, GET /_stub/charges/<key> ({ chargeRequests,
 *   chargesCreated, lookups, charge }), GET /_stub/refunds, GET /_stub/webhooks, GET /_stub/health.
 */
import { GatewayStub } from './gateway-stub.js';
import { seededRandom, stubSettingsFromEnv } from './stub-settings.js';

function fail(message: string): never {
  process.stderr.write(`gateway stub: ${message}\n`);
  process.exit(2);
}

let settings;
try {
  settings = stubSettingsFromEnv(process.env);
} catch (error) {
  fail((error as Error).message);
}
const port = Number(process.env.STUB_PORT ?? 4010);
if (!Number.isInteger(port) || port < 0 || port > 65_535)
  fail(`STUB_PORT must be a port number (got ${process.env.STUB_PORT})`);
const host = process.env.STUB_HOST ?? '127.0.0.1';

const seed = process.env.STUB_SEED;
if (seed !== undefined && !/^\d{1,10}$/.test(seed)) fail(`STUB_SEED must be a non-negative integer (got ${seed})`);
const quiet = process.env.STUB_QUIET === 'true';
const stub = new GatewayStub(settings, seed === undefined ? Math.random : seededRandom(Number(seed)), (line) => {
  if (!quiet) process.stdout.write(`${line}\n`);
});
const listening = await stub.listen(port, host);
// The first line is machine-read by test/support/gateway-stub.ts: keep its shape.
process.stdout.write(`gateway stub listening on http://${host}:${listening}\n`);
if (settings.webhookUrl === undefined) process.stdout.write('gateway stub: STUB_WEBHOOK_URL unset, no webhooks\n');

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void stub.close().then(() => process.exit(0)));
}
