import { defineModule } from '../../outbox/index.js';
import {
  InventoryReservedV1,
  OrderCancelledV1,
  OrderPlacedV1,
  OrderReadyV1,
  OrderRejectedV1,
  OrderShippedV1,
  StockObservedV1,
} from './events/index.js';
import { CancelWhenPaymentFailedListener } from './listeners/cancel-when-payment-failed.listener.js';
import { NoteRefundListener } from './listeners/note-refund.listener.js';
import { ReadyWhenPaidListener } from './listeners/ready-when-paid.listener.js';
import { ReadyWhenReservedListener } from './listeners/ready-when-reserved.listener.js';
import { RecordStockObservationListener } from './listeners/record-stock-observation.listener.js';
import { ReserveInventoryListener } from './listeners/reserve-inventory.listener.js';
import { ShipWhenReadyListener } from './listeners/ship-when-ready.listener.js';

/** What the fulfilment module publishes and hears (docs/modules.md is generated from it). */
export const fulfilmentManifest = defineModule({
  name: 'fulfilment',
  summary: 'Catalogue, bucketed stock, orders, routing, reservation and shipping.',
  facade: [],
  publishes: [
    StockObservedV1,
    OrderPlacedV1,
    InventoryReservedV1,
    OrderRejectedV1,
    OrderCancelledV1,
    OrderReadyV1,
    OrderShippedV1,
  ],
  listeners: [
    RecordStockObservationListener,
    ReserveInventoryListener,
    ReadyWhenReservedListener,
    ReadyWhenPaidListener,
    CancelWhenPaymentFailedListener,
    ShipWhenReadyListener,
    NoteRefundListener,
  ],
});
