import { budgetSpanEvent } from '../model/budgets.js';
import type { BudgetEventRecord } from '../model/budgets.js';
import type { RawSpan } from '../model/types.js';

/**
 * The received spans with each crossing's `skein.budget.*` event added to the
 * span that crossed, as the store added it to the stored record: upstreams
 * get the same span Skein keeps. The spans themselves are not changed.
 */
export function withBudgetEvents(received: readonly RawSpan[], crossings: readonly BudgetEventRecord[]): RawSpan[] {
  const bySpan = new Map<string, BudgetEventRecord[]>();
  for (const crossing of crossings) {
    if (crossing.spanId === null || crossing.traceId === null) continue;
    const key = `${crossing.traceId}/${crossing.spanId}`;
    const list = bySpan.get(key);
    if (list) list.push(crossing);
    else bySpan.set(key, [crossing]);
  }
  return received.map((span) => {
    const found = bySpan.get(`${span.traceId}/${span.spanId}`);
    if (found === undefined) return span;
    // Once per span: a batch may hold the same span twice (a retried export).
    bySpan.delete(`${span.traceId}/${span.spanId}`);
    const at = span.endTimeUnixNano ?? span.startTimeUnixNano;
    return { ...span, events: [...span.events, ...found.map((c) => budgetSpanEvent(c, at))] };
  });
}
