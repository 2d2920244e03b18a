/** What a debt is for. */
export const DEBT_KINDS = ['fine', 'fee', 'tax'] as const;
export type DebtKind = (typeof DEBT_KINDS)[number];
export type DebtStatus = 'outstanding' | 'settled';

/** Citizen ids are opaque: 1-64 letters, digits, "-" or "_" (API.md). */
export const CITIZEN_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** The fields that identify a registration: the same reference with other terms is a conflict. */
export interface DebtTerms {
  citizenId: string;
  kind: DebtKind;
  amount: number;
  currency: string;
  dueDate: string | null;
}

export function sameTerms(a: DebtTerms, b: DebtTerms): boolean {
  return (
    a.citizenId === b.citizenId &&
    a.kind === b.kind &&
    a.amount === b.amount &&
    a.currency === b.currency &&
    a.dueDate === b.dueDate
  );
}

/** How a payment reduces a debt: never below zero; the rest is an overpayment left unapplied. */
export function applyPayment(
  outstanding: number,
  paid: number,
): { applied: number; outstanding: number; excess: number } {
  const applied = Math.min(outstanding, paid);
  return { applied, outstanding: outstanding - applied, excess: paid - applied };
}
