import { describeBudgetCrossing } from '../model/budgets.js';
import type { BudgetCrossing } from '../model/budgets.js';

/**
 * Thrown by `AgentTracer.modelCall` (with enforcement on) instead of starting
 * a model call in a session that is over a limit. The message gives the
 * session, the limit and what was used:
 * `session 4f2… exceeded its cost budget: used $1.23 of $1.00`.
 */
export class BudgetExceededError extends Error {
  override name = 'BudgetExceededError';
  readonly sessionId: string;
  readonly crossing: BudgetCrossing;

  constructor(crossing: BudgetCrossing) {
    super(describeBudgetCrossing(crossing));
    this.sessionId = crossing.sessionId;
    this.crossing = crossing;
  }
}
