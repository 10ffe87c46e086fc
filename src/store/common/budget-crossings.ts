/** What both stores' budget ledgers do alike with a written batch, around their SQL. */

import { crossingSpan } from '../../model/budgets.js';
import type { BudgetCrossing, BudgetEventRecord } from '../../model/budgets.js';
import type { SpanEvent, SpanRecord } from '../../model/types.js';
import { ATTR_SKEIN_BUDGET_METRIC, ATTR_SKEIN_BUDGET_SCOPE, EVENT_SKEIN_BUDGET_EXCEEDED, EVENT_SKEIN_BUDGET_WARNING } from '../../semconv/index.js';

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

/**
 * Crossings recorded before whose span the batch wrote again (a request sent
 * again, to this replica or another): the span's new record lacks the
 * `skein.budget.*` event the first write added, which goes on it again. Not
 * a new crossing: nothing is recorded or reported.
 */
export function rewrittenCrossings(
  recorded: readonly BudgetEventRecord[],
  records: readonly SpanRecord[],
): { event: BudgetEventRecord; span: SpanRecord }[] {
  const out: { event: BudgetEventRecord; span: SpanRecord }[] = [];
  if (recorded.every((event) => event.spanId === null)) return out;
  const bySpan = new Map(records.map((record) => [`${record.traceId}/${record.spanId}`, record]));
  for (const event of recorded) {
    const span = event.spanId === null ? undefined : bySpan.get(`${event.traceId}/${event.spanId}`);
    if (span !== undefined) out.push({ event, span });
  }
  return out;
}

/** Whether a stored span's events hold the crossing's event already. */
export function holdsBudgetEvent(events: readonly SpanEvent[] | undefined, event: BudgetEventRecord): boolean {
  const name = event.level === 'exceeded' ? EVENT_SKEIN_BUDGET_EXCEEDED : EVENT_SKEIN_BUDGET_WARNING;
  return (events ?? []).some(
    (e) => e.name === name && e.attributes[ATTR_SKEIN_BUDGET_SCOPE] === event.scope && e.attributes[ATTR_SKEIN_BUDGET_METRIC] === event.metric,
  );
}
