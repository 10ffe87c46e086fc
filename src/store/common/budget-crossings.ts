/** What both stores' budget ledgers do alike with a written batch, around their SQL. */

import { crossingSpan } from '../../model/budgets.js';
import type { BudgetCrossing, BudgetEventRecord } from '../../model/budgets.js';
import type { SpanRecord } from '../../model/types.js';

/** A record the batch wrote, with the session it was written into. */
export interface WrittenRecord {
  record: SpanRecord;
  sessionId: string;
}

/** The written records grouped by their session, in the batch's order. */
export function recordsBySession(written: readonly WrittenRecord[]): Map<string, SpanRecord[]> {
  const bySession = new Map<string, SpanRecord[]>();
  for (const { record, sessionId } of written) {
    const records = bySession.get(sessionId);
    if (records) records.push(record);
    else bySession.set(sessionId, [record]);
  }
  return bySession;
}

/**
 * A crossing as the event to record, stamped `atMillis`, with the span of
 * `records` that crossed (`crossingSpan`; a warning crosses at `fraction`
 * of the limit), null when none of them contributed.
 */
export function crossingEvent(
  crossing: BudgetCrossing,
  records: readonly SpanRecord[],
  fraction: number,
  atMillis: number,
): { event: BudgetEventRecord; span: SpanRecord | null } {
  const threshold = crossing.level === 'warning' ? crossing.limit * fraction : crossing.limit;
  const span = crossingSpan(records, crossing, threshold);
  const event: BudgetEventRecord = {
    ...crossing,
    atUnixMillis: atMillis,
    traceId: span?.traceId ?? null,
    spanId: span?.spanId ?? null,
  };
  return { event, span };
}
