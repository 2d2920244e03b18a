import { CitizenClearedV1, DebtRegisteredV1, DebtSettledV1, settleDebtSubscription } from './modules/debts/index.js';
import {
  cancelWhenPaymentFailedSubscription,
  InventoryReservedV1,
  noteRefundSubscription,
  OrderCancelledV1,
  OrderPlacedV1,
  OrderReadyV1,
  OrderRejectedV1,
  OrderShippedV1,
  readyWhenPaidSubscription,
  readyWhenReservedSubscription,
  recordStockObservationSubscription,
  reserveInventorySubscription,
  shipWhenReadySubscription,
  StockObservedV1,
} from './modules/fulfilment/index.js';
import {
  EntriesPostedV1,
  projectCitizenBalancesSubscription,
  projectCustomerBalancesSubscription,
} from './modules/ledger/index.js';
import { ApplicationBlockedV1, issueLicencesSubscription, LicenceIssuedV1 } from './modules/licences/index.js';
import {
  chargeGatewaySubscription,
  PaymentConfirmedV1,
  PaymentFailedV1,
  PaymentRefundedV1,
  PaymentRequestedV1,
  refundAtGatewaySubscription,
  refundWhenOrderClosedSubscription,
} from './modules/payments/index.js';
import { EventCatalogue } from './outbox/index.js';

/**
 * The application's single event registry: every module's published contracts and every
 * subscription. `docs/events.md` is generated from it (`npm run docs:events`).
 */
export const eventCatalogue = new EventCatalogue(
  [
    DebtRegisteredV1,
    DebtSettledV1,
    CitizenClearedV1,
    PaymentRequestedV1,
    PaymentConfirmedV1,
    PaymentFailedV1,
    PaymentRefundedV1,
    ApplicationBlockedV1,
    LicenceIssuedV1,
    StockObservedV1,
    OrderPlacedV1,
    InventoryReservedV1,
    OrderRejectedV1,
    OrderCancelledV1,
    OrderReadyV1,
    OrderShippedV1,
    EntriesPostedV1,
  ],
  [
    settleDebtSubscription,
    issueLicencesSubscription,
    chargeGatewaySubscription,
    refundWhenOrderClosedSubscription,
    refundAtGatewaySubscription,
    recordStockObservationSubscription,
    reserveInventorySubscription,
    readyWhenReservedSubscription,
    readyWhenPaidSubscription,
    cancelWhenPaymentFailedSubscription,
    shipWhenReadySubscription,
    noteRefundSubscription,
    projectCitizenBalancesSubscription,
    projectCustomerBalancesSubscription,
  ],
);
