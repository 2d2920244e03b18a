import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
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

/** Where the simulated gateway keeps its charges. */
export interface SimChargeStore {
  find(idempotencyKey: string): Promise<SimCharge | undefined>;
  /** Records `charge` unless its key exists; returns the stored charge and whether this call created it. */
  insert(charge: SimCharge): Promise<{ charge: SimCharge; created: boolean }>;
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
  private readonly pool: pg.Pool;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    // pg connects lazily: processes that never charge open no connection.
    this.pool = new pg.Pool({
      connectionString: config.databaseUrl,
      max: 4,
      application_name: 'debts-hub-gateway-sim',
      statement_timeout: config.dbStatementTimeoutMs,
    });
  }

  async find(idempotencyKey: string): Promise<SimCharge | undefined> {
    const { rows } = await this.pool.query<ChargeRow>(
      `SELECT * FROM payments_gateway_sim_charge WHERE idempotency_key = $1`,
      [idempotencyKey],
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
