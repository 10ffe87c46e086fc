import type { BudgetEventRecord } from '../model/budgets.js';

export interface BudgetMonitorOptions {
  /** Called once per crossing this process recorded. Its errors go to `onError`, never to the app. */
  onBudget?: (crossing: BudgetEventRecord) => void;
  onError: (error: unknown) => void;
}

/**
 * What the processor knows of budgets on the app's thread: the crossings its
 * writes recorded (evaluated where the rollups are, in the store's write
 * transaction, and handed back here), and the sessions over a limit.
 *
 * Only this processor's writes are seen: a session taken over its limit by
 * another process writing the same file is not known here.
 */
/** Sessions over a limit remembered at most; the oldest are forgotten first (a long-lived app has many sessions). */
const MAX_EXCEEDED_SESSIONS = 10_000;

export class BudgetMonitor {
  private readonly exceeded = new Map<string, BudgetEventRecord>();

  constructor(private readonly options: BudgetMonitorOptions) {}

  /** Crossings a committed batch recorded. */
  record(crossings: readonly BudgetEventRecord[]): void {
    for (const crossing of crossings) {
      if (crossing.level === 'exceeded' && !this.exceeded.has(crossing.sessionId)) {
        this.exceeded.set(crossing.sessionId, crossing);
        if (this.exceeded.size > MAX_EXCEEDED_SESSIONS) this.exceeded.delete(this.exceeded.keys().next().value as string);
      }
      if (this.options.onBudget === undefined) continue;
      try {
        this.options.onBudget(crossing);
      } catch (error) {
        this.options.onError(error);
      }
    }
  }

  /** The first limit the session exceeded (warnings do not count), if any. */
  exceededBy(sessionId: string): BudgetEventRecord | undefined {
    return this.exceeded.get(sessionId);
  }
}
