import { Outbox1795200000000 } from './1795200000000-outbox.js';
import { OutboxClaimPriority1795200000700 } from './1795200000700-outbox-claim-priority.js';
import { Ledger1795200000200 } from './1795200000200-ledger.js';
import { Payments1795200000300 } from './1795200000300-payments.js';
import { Debts1795200000400 } from './1795200000400-debts.js';
import { Licences1795200000500 } from './1795200000500-licences.js';
import { PlatformIdempotency1795200000100 } from './1795200000100-platform-idempotency.js';
import { Reconciliation1795200000600 } from './1795200000600-reconciliation.js';
import { FulfilmentStock1795200000800 } from './1795200000800-fulfilment-stock.js';
import { PaymentsRefunds1795200000900 } from './1795200000900-payments-refunds.js';
import { FulfilmentOrders1795200000950 } from './1795200000950-fulfilment-orders.js';
import { OutboxWakeAfterCommit1795200001000 } from './1795200001000-outbox-wake-after-commit.js';
import { OutboxForgedDeadLetters1795200001900 } from './1795200001900-outbox-forged-dead-letters.js';
import { PaymentsWebhookReceiptRetention1795200001910 } from './1795200001910-payments-webhook-receipt-retention.js';
import { OutboxDeadLetterReplays1795200002100 } from './1795200002100-outbox-dead-letter-replays.js';
import { LedgerProjections1795200002200 } from './1795200002200-ledger-projections.js';
import { OutboxTraceContext1795200002400 } from './1795200002400-outbox-trace-context.js';
import { OutboxTaskRuns1795200003300 } from './1795200003300-outbox-task-runs.js';
import { PaymentsRefundReference1795200003400 } from './1795200003400-payments-refund-reference.js';

/**
 * Every migration, in order. Listed explicitly (not globbed) so the app, the CLI and the tests
 * load the same set from source or build alike.
 */
export const migrations = [
  Outbox1795200000000,
  Ledger1795200000200,
  Payments1795200000300,
  Debts1795200000400,
  Licences1795200000500,
  PlatformIdempotency1795200000100,
  Reconciliation1795200000600,
  OutboxClaimPriority1795200000700,
  FulfilmentStock1795200000800,
  PaymentsRefunds1795200000900,
  FulfilmentOrders1795200000950,
  OutboxWakeAfterCommit1795200001000,
  OutboxForgedDeadLetters1795200001900,
  PaymentsWebhookReceiptRetention1795200001910,
  OutboxDeadLetterReplays1795200002100,
  LedgerProjections1795200002200,
  OutboxTraceContext1795200002400,
  OutboxTaskRuns1795200003300,
  PaymentsRefundReference1795200003400,
];
