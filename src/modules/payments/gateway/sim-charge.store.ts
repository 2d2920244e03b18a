import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import pg from 'pg';
import { APP_CONFIG, type AppConfig } from '../../../config/index.js';

/** A charge as the simulated gateway records it (table `payments_gateway_sim_charge`). */
export interface SimCharge {
  idempotencyKey: string;
  paymentId: string;
  amount: number;
  currency: string;
  status: 'succeeded' | 'declined';
  gatewayRef: string;
  declineReason: string | null;
}

/** A refund as the simulated gateway records it (table `payments_gateway_sim_refund`). */
export interface SimRefund {
  idempotencyKey: string;
  paymentId: string;
  /** The refunded charge's reference: a charge is refunded at most once. */
  gatewayRef: string;
  amount: number;
  currency: string;
  refundRef: string;
}

/** Where the simulated gateway keeps its charges and refunds. */
export interface SimChargeStore {
  find(idempotencyKey: string): Promise<SimCharge | undefined>;
  findByGatewayRef(gatewayRef: string): Promise<SimCharge | undefined>;
  /** Records `charge` unless its key exists; returns the stored charge and whether this call created it. */
  insert(charge: SimCharge): Promise<{ charge: SimCharge; created: boolean }>;
  findRefund(idempotencyKey: string): Promise<SimRefund | undefined>;
  /**
   * Records `refund` unless its key or its charge was refunded already; returns the refund stored
   * under its key (`undefined` when the charge was refunded under another key).
   */
  insertRefund(refund: SimRefund): Promise<SimRefund | undefined>;
}

/** Injection token of the {@link SimChargeStore}. */
export const SIM_CHARGE_STORE = Symbol('SIM_CHARGE_STORE');

interface ChargeRow {
  idempotency_key: string;
  payment_id: string;
  amount: string;
  currency: string;
  status: 'succeeded' | 'declined';
  gateway_ref: string;
  decline_reason: string | null;
}

/**
 * The simulated gateway's own storage, reached through its own small connection pool, as an
 * external system's would be: its writes commit at once, whatever happens to the caller's
 * transaction (a charge taken is taken), and a charging handler that holds one of the app's
 * connections can never wait on the app's pool for a second one (no pool deadlock).
 */
@Injectable()
export class PgSimChargeStore implements SimChargeStore, OnApplicationShutdown {
  private readonly logger = new Logger(PgSimChargeStore.name);
  private readonly pool: pg.Pool;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    // pg connects lazily: processes that never charge open no connection.
    this.pool = new pg.Pool({
      connectionString: config.databaseUrl,
      max: 4,
      application_name: 'debts-hub-gateway-sim',
      // A transaction pooler refuses session parameters; there the server's default applies.
      ...(config.databaseDirectUrl === undefined ? { statement_timeout: config.dbStatementTimeoutMs } : {}),
    });
    // An idle connection the server ends (a restart, pg_terminate_backend) is dropped, not fatal.
    this.pool.on('error', (error) => this.logger.warn(`gateway simulator connection lost: ${error.message}`));
  }

  async find(idempotencyKey: string): Promise<SimCharge | undefined> {
    const { rows } = await this.pool.query<ChargeRow>(
      `SELECT * FROM payments_gateway_sim_charge WHERE idempotency_key = $1`,
      [idempotencyKey],
    );
    return rows[0] && toCharge(rows[0]);
  }

  async findByGatewayRef(gatewayRef: string): Promise<SimCharge | undefined> {
    const { rows } = await this.pool.query<ChargeRow>(
      `SELECT * FROM payments_gateway_sim_charge WHERE gateway_ref = $1`,
      [gatewayRef],
    );
    return rows[0] && toCharge(rows[0]);
  }

  async insert(charge: SimCharge): Promise<{ charge: SimCharge; created: boolean }> {
    const { rows } = await this.pool.query<ChargeRow>(
      `INSERT INTO payments_gateway_sim_charge
         (idempotency_key, payment_id, amount, currency, status, gateway_ref, decline_reason)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (idempotency_key) DO NOTHING
       RETURNING *`,
      [
        charge.idempotencyKey,
        charge.paymentId,
        charge.amount,
        charge.currency,
        charge.status,
        charge.gatewayRef,
        charge.declineReason,
      ],
    );
    if (rows[0]) return { charge: toCharge(rows[0]), created: true };
    // A concurrent call with the same key won; ON CONFLICT waited for its commit, so it is visible.
    const existing = await this.find(charge.idempotencyKey);
    if (!existing) throw new Error(`simulated charge ${charge.idempotencyKey} vanished`);
    return { charge: existing, created: false };
  }

  async findRefund(idempotencyKey: string): Promise<SimRefund | undefined> {
    const { rows } = await this.pool.query<RefundRow>(
      `SELECT * FROM payments_gateway_sim_refund WHERE idempotency_key = $1`,
      [idempotencyKey],
    );
    return rows[0] && toRefund(rows[0]);
  }

  async insertRefund(refund: SimRefund): Promise<SimRefund | undefined> {
    // ON CONFLICT on either key waits for a concurrent insert's commit, so the read below sees it.
    await this.pool.query(
      `INSERT INTO payments_gateway_sim_refund (idempotency_key, payment_id, gateway_ref, amount, currency, refund_ref)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT DO NOTHING`,
      [refund.idempotencyKey, refund.paymentId, refund.gatewayRef, refund.amount, refund.currency, refund.refundRef],
    );
    return this.findRefund(refund.idempotencyKey);
  }

  async onApplicationShutdown(): Promise<void> {
    // After the workers drained (beforeApplicationShutdown), so no charge is cut off.
    await this.pool.end();
  }
}

function toCharge(row: ChargeRow): SimCharge {
  return {
    idempotencyKey: row.idempotency_key,
    paymentId: row.payment_id,
    amount: Number(row.amount),
    currency: row.currency,
    status: row.status,
    gatewayRef: row.gateway_ref,
    declineReason: row.decline_reason,
  };
}

interface RefundRow {
  idempotency_key: string;
  payment_id: string;
  gateway_ref: string;
  amount: string;
  currency: string;
  refund_ref: string;
}

function toRefund(row: RefundRow): SimRefund {
  return {
    idempotencyKey: row.idempotency_key,
    paymentId: row.payment_id,
    gatewayRef: row.gateway_ref,
    amount: Number(row.amount),
    currency: row.currency,
    refundRef: row.refund_ref,
  };
}
