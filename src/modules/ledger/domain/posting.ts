/** One side of a posting: a signed amount in integer minor units on an account. */
export interface Leg {
  account: string;
  amount: number;
}

/**
 * A balanced set of ledger entries caused by one source (usually an event id) and of one kind.
 * Entries are keyed by (source, kind, account), so posting the same thing twice adds nothing.
 */
export interface Posting {
  source: string;
  kind: string;
  currency: string;
  legs: Leg[];
}

/** Why a posting was refused. */
export class UnbalancedPostingError extends Error {}

/** A posting must have legs on distinct accounts, integer amounts, and sum to zero. */
export function assertBalanced(posting: Posting): void {
  if (posting.legs.length < 2) throw new UnbalancedPostingError(`${posting.kind}: a posting needs at least two legs`);
  const accounts = new Set(posting.legs.map((leg) => leg.account));
  if (accounts.size !== posting.legs.length) throw new UnbalancedPostingError(`${posting.kind}: accounts repeat`);
  if (!posting.legs.every((leg) => Number.isSafeInteger(leg.amount) && leg.amount !== 0)) {
    throw new UnbalancedPostingError(`${posting.kind}: amounts must be non-zero integers (minor units)`);
  }
  const sum = posting.legs.reduce((total, leg) => total + leg.amount, 0);
  if (sum !== 0) throw new UnbalancedPostingError(`${posting.kind}: legs sum to ${sum}, not 0`);
}

/** The legs that undo `legs` (a reversal is new entries, never an edit). */
export function reversed(legs: readonly Leg[]): Leg[] {
  return legs.map((leg) => ({ account: leg.account, amount: -leg.amount }));
}
