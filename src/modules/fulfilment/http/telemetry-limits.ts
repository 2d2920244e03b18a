/** The telemetry route: its batches (up to 1,000 readings) need more than the default body limit. */
export const TELEMETRY_PATH = '/v1/inventory/telemetry';

/** 1,000 readings with 64-character ids stay well under this. */
export const TELEMETRY_BODY_LIMIT = '1mb';
