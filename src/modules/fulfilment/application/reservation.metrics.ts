import { counter, histogram } from '../../../platform/index.js';

/** Routing and reservation: how long plans take, which strategy made them, how often they lose races. */
export const reservationMetrics = {
  /**
   * Wall-clock seconds per routing plan (solver attempt plus any fallback), by the strategy used
   * (`solver`: milp or greedy, as on the order) and how it was found (`method`: enumeration, solver or
   * greedy).
   */
  planSeconds: histogram(
    'fulfilment_routing_plan_seconds',
    'Seconds spent planning one order routing (enumeration, or MILP attempt plus any greedy fallback), by solver and method.',
    ['solver', 'method'],
    [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  ),
  /** Plans whose units another order took before they could be held; the order is planned again. */
  replans: counter(
    'fulfilment_reservation_replans_total',
    'Routing plans re-made because a concurrent reservation took the planned units first.',
  ),
};
