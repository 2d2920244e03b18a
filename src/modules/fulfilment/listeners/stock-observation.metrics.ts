import { counter, gauge } from '../../../platform/index.js';

/** Stock telemetry outcomes: applied or stale observations, and drift against recorded on-hand. */
export const stockObservationMetrics = {
  /** Observations by outcome: `applied` (newest for its bucket) or `stale` (older than the one kept). */
  observations: counter(
    'fulfilment_stock_observations_total',
    'Stock telemetry observations handled, by outcome (applied, stale).',
    ['outcome'],
  ),
  /** Applied observations by drift direction: `over`, `under`, `none`, or `unknown-bucket`. */
  drift: counter(
    'fulfilment_stock_drift_observations_total',
    'Applied stock observations by drift direction against on-hand (over, under, none, unknown-bucket).',
    ['direction'],
  ),
  /** Sum of |observed - on_hand| over applied observations. */
  driftUnits: counter('fulfilment_stock_drift_units_total', 'Absolute units of drift seen by stock telemetry.'),
  /** The drift of the most recently applied observation. */
  lastDrift: gauge(
    'fulfilment_stock_last_drift_units',
    'Drift (observed minus on-hand) of the last applied observation.',
  ),
};
