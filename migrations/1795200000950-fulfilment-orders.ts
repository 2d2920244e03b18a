import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Orders. Each transition is a compare-and-set on `status`; the CHECKs keep the record coherent
 * whatever code writes it: a held, readied or shipped order has its reservation time and routing,
 * a shipped one its shipping time, a rejected one its reason.
 */
export class FulfilmentOrders1795200000950 implements MigrationInterface {
  name = 'FulfilmentOrders1795200000950';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE fulfilment_order (
        id uuid PRIMARY KEY,
        customer_id text NOT NULL,
        lines jsonb NOT NULL,
        total bigint NOT NULL CHECK (total > 0),
        currency char(3) NOT NULL,
        ship_to_lat double precision NOT NULL CHECK (ship_to_lat BETWEEN -90 AND 90),
        ship_to_lon double precision NOT NULL CHECK (ship_to_lon BETWEEN -180 AND 180),
        status text NOT NULL
          CHECK (status IN ('placed', 'reserved', 'paid', 'ready', 'shipped', 'rejected', 'cancelled')),
        payment_status text NOT NULL DEFAULT 'none'
          CHECK (payment_status IN ('none', 'confirmed', 'failed', 'refunded')),
        payment_id uuid,
        allocations jsonb NOT NULL DEFAULT '[]',
        routing_cost bigint,
        routing_solver text CHECK (routing_solver IN ('milp', 'greedy')),
        routing_solver_ms double precision,
        rejection_reason text,
        cancellation_reason text,
        created_at timestamptz NOT NULL DEFAULT now(),
        reserved_at timestamptz,
        shipped_at timestamptz,
        closed_at timestamptz,
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT fulfilment_order_held_has_routing
          CHECK (status NOT IN ('reserved', 'ready', 'shipped') OR (reserved_at IS NOT NULL AND routing_solver IS NOT NULL)),
        CONSTRAINT fulfilment_order_paid_has_payment
          CHECK (status NOT IN ('paid', 'ready', 'shipped') OR (payment_status = 'confirmed' AND payment_id IS NOT NULL)),
        CONSTRAINT fulfilment_order_shipped_has_time CHECK (status <> 'shipped' OR shipped_at IS NOT NULL),
        CONSTRAINT fulfilment_order_rejected_has_reason CHECK (status <> 'rejected' OR rejection_reason IS NOT NULL)
      )`);
    await q.query(`CREATE INDEX fulfilment_order_customer_idx ON fulfilment_order (customer_id, id)`);
    // The reservation-TTL reconciler's scan: only orders holding stock while awaiting payment.
    await q.query(
      `CREATE INDEX fulfilment_order_awaiting_payment_idx ON fulfilment_order (reserved_at) WHERE status = 'reserved'`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE fulfilment_order`);
  }
}
