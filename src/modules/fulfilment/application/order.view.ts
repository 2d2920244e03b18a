import type { OrderLine, OrderPaymentStatus, OrderStatus } from '../domain/order/order.js';
import type { Allocation } from '../domain/routing/index.js';
import type { OrderEntity } from '../persistence/order.entity.js';

/** `Order` as API.md defines it. */
export interface OrderView {
  id: string;
  customerId: string;
  lines: OrderLine[];
  total: number;
  currency: string;
  status: OrderStatus;
  paymentStatus: OrderPaymentStatus;
  allocations: Allocation[];
  routing: { cost: number; solverMs: number; solver: 'milp' | 'greedy' } | null;
  /** Why the order was rejected (or cancelled), else null. */
  rejectionReason: string | null;
  createdAt: string;
  shippedAt: string | null;
}

export function toOrderView(order: OrderEntity): OrderView {
  return {
    id: order.id,
    customerId: order.customerId,
    lines: order.lines,
    total: Number(order.total),
    currency: order.currency,
    status: order.status,
    paymentStatus: order.paymentStatus,
    allocations: order.allocations,
    routing:
      order.routingSolver === null
        ? null
        : {
            cost: Number(order.routingCost),
            solverMs: Math.round((order.routingSolverMs ?? 0) * 1000) / 1000,
            solver: order.routingSolver,
          },
    rejectionReason: order.rejectionReason ?? order.cancellationReason,
    createdAt: order.createdAt.toISOString(),
    shippedAt: order.shippedAt?.toISOString() ?? null,
  };
}
