import type { DebtKind, DebtStatus } from '../domain/debt.js';
import type { DebtEntity } from '../persistence/debt.entity.js';

/** A debt as the API shows it (API.md, `Debt`). */
export interface DebtView {
  id: string;
  citizenId: string;
  reference: string;
  kind: DebtKind;
  amount: number;
  outstanding: number;
  currency: string;
  status: DebtStatus;
  dueDate: string | null;
  createdAt: string;
  settledAt: string | null;
}

export function toDebtView(debt: DebtEntity): DebtView {
  return {
    id: debt.id,
    citizenId: debt.citizenId,
    reference: debt.reference,
    kind: debt.kind,
    amount: Number(debt.amount),
    outstanding: Number(debt.outstanding),
    currency: debt.currency,
    status: debt.status,
    dueDate: debt.dueDate,
    createdAt: debt.createdAt.toISOString(),
    settledAt: debt.settledAt?.toISOString() ?? null,
  };
}
