import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { DataSource, type QueryRunner } from 'typeorm';
import { onOutermostTransactionEnd } from '../delivery/after-commit.js';
import { CriticalFirst } from '../delivery/critical-first.js';

/** The channel the relay LISTENs on. */
export const OUTBOX_CHANNEL = 'outbox_message';

/**
 * Tells relays that outbox rows were committed (docs/adr/0016-outbox-throughput-and-lane-isolation.md).
 *
 * The writer marks the transaction it appended in; once that transaction's outermost COMMIT has
 * returned, the relay of this process (if it runs the `relay` role) is woken directly, without a
 * round trip; a process without a relay sends one `pg_notify` instead, outside the transaction, so
 * appending transactions never queue on NOTIFY's global commit lock. Notifications are coalesced:
 * while one is in flight, any number of further commits cause one more, never one each, so there
 * is at most one NOTIFY per appending transaction. A process that dies between its COMMIT and the
 * wake-up leaves its rows to the relays' polling fallback.
 */
@Injectable()
export class RelaySignal implements OnModuleInit {
  private readonly logger = new Logger(RelaySignal.name);
  /** Open transactions that appended, with the ids of the critical events among their rows. */
  private readonly appended = new WeakMap<QueryRunner, string[]>();
  private readonly localRelays: Array<() => void> = [];
  private notifying = false;
  private notifyAgain = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly criticalFirst: CriticalFirst,
  ) {}

  onModuleInit(): void {
    onOutermostTransactionEnd(this.dataSource, {
      committed: (runner) => {
        const critical = this.appended.get(runner);
        if (critical === undefined) return;
        this.appended.delete(runner);
        if (critical.length > 0) this.criticalFirst.committed(critical);
        this.committed();
      },
      rolledBack: (runner) => this.appended.delete(runner),
    });
  }

  /** Called by the writer: rows were appended in `runner`'s open transaction, `criticalIds` for critical subscribers. */
  markAppended(runner: QueryRunner, criticalIds: readonly string[]): void {
    const marked = this.appended.get(runner);
    if (marked) marked.push(...criticalIds);
    else this.appended.set(runner, [...criticalIds]);
  }

  /** Called by a relay loop of this process: wake it after each appending commit instead of notifying. */
  onCommit(wake: () => void): void {
    this.localRelays.push(wake);
  }

  private committed(): void {
    if (this.localRelays.length > 0) {
      for (const wake of this.localRelays) wake();
      return;
    }
    this.notify();
  }

  private notify(): void {
    if (this.notifying) {
      this.notifyAgain = true;
      return;
    }
    this.notifying = true;
    this.dataSource
      .query(`SELECT pg_notify($1, '')`, [OUTBOX_CHANNEL])
      .catch((error: Error) => this.logger.warn(`NOTIFY failed (${error.message}); relays will poll`))
      .finally(() => {
        this.notifying = false;
        if (this.notifyAgain) {
          this.notifyAgain = false;
          this.notify();
        }
      });
  }
}
