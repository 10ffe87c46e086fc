import type { BudgetEventRecord, BudgetUsage } from '../model/budgets.js';

/**
 * A store that keeps budget crossings (`SqliteTraceStore`). Separate from
 * `TraceStore`, which it extends without changing: readers check for it with
 * `isBudgetReader` and show no budget events for a store without them.
 */
export interface BudgetReader {
  /** The session's recorded crossings, oldest first; empty when none. */
  getBudgetEvents(sessionId: string): Promise<BudgetEventRecord[]>;
  /** What the session has used, as budgets count it (model calls only). Throws `SessionNotFoundError`. */
  getBudgetUsage(sessionId: string): Promise<BudgetUsage>;
}

export function isBudgetReader(store: object): store is BudgetReader {
  const candidate = store as Partial<BudgetReader>;
  return typeof candidate.getBudgetEvents === 'function' && typeof candidate.getBudgetUsage === 'function';
}
