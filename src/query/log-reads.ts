/**
 * Reads of log records the API and the CLI share: a session's events (with
 * the "is there such a session at all" answer a page alone cannot give) and
 * the records tied to each step of a trace.
 */

import type { LogQuery, StoredLogRecord } from '../model/log-types.js';
import type { Page } from '../model/query.js';
import type { TraceStore } from '../store/trace-store.js';

/** The records a step shows at most, in time order; past that the step says `logsTruncated` and the client pages `GET /api/logs?traceId=…&spanId=…`. */
export const STEP_LOG_LIMIT = 100;

/** One read for a whole trace's records; a trace with more falls back to one bounded read per step. */
const TRACE_LOG_PAGE = 1000;

/**
 * A session's log records in time order, one page (every other `LogQuery`
 * filter narrows it further). Throws `SessionNotFoundError` when the session
 * is unknown: no spans and no log records at all. A filter matching nothing
 * in a known session is an empty page, not an error; a session that only log
 * records name exists.
 */
export async function sessionEvents(
  store: TraceStore,
  sessionId: string,
  filter: Omit<LogQuery, 'sessionId'>,
): Promise<Page<StoredLogRecord>> {
  const page = await store.listLogs({
    sessionId,
    traceId: filter.traceId,
    spanId: filter.spanId,
    eventName: filter.eventName,
    minSeverity: filter.minSeverity,
    fromUnixNano: filter.fromUnixNano,
    toUnixNano: filter.toUnixNano,
    limit: filter.limit,
    cursor: filter.cursor,
  });
  if (page.items.length > 0 || filter.cursor !== undefined) return page;
  const { limit: _limit, cursor: _cursor, ...narrowing } = filter;
  const filtered = Object.values(narrowing).some((value) => value !== undefined);
  if (filtered && (await store.listLogs({ sessionId, limit: 1 })).items.length > 0) return page;
  // No record at all: the session exists only if its spans do (this throws otherwise).
  await store.getSession(sessionId);
  return page;
}

export interface StepLogs {
  /** At most `STEP_LOG_LIMIT`, in time order. */
  records: StoredLogRecord[];
  /** More records are tied to the step than `records` holds. */
  truncated: boolean;
}

/**
 * The log records tied to each of `spanIds` (same trace id and span id), at
 * most `STEP_LOG_LIMIT` per span. A trace with up to `TRACE_LOG_PAGE`
 * records costs one read; past that, one read of `STEP_LOG_LIMIT + 1` per span.
 */
export async function stepLogs(
  store: TraceStore,
  traceId: string,
  spanIds: readonly string[],
): Promise<Map<string, StepLogs>> {
  const out = new Map<string, StepLogs>();
  const whole = await store.listLogs({ traceId, limit: TRACE_LOG_PAGE });
  if (whole.nextCursor === null) {
    const bySpan = new Map<string, StoredLogRecord[]>();
    for (const record of whole.items) {
      if (record.spanId === null) continue;
      let list = bySpan.get(record.spanId);
      if (!list) bySpan.set(record.spanId, (list = []));
      list.push(record);
    }
    for (const spanId of spanIds) {
      const list = bySpan.get(spanId) ?? [];
      out.set(spanId, { records: list.slice(0, STEP_LOG_LIMIT), truncated: list.length > STEP_LOG_LIMIT });
    }
    return out;
  }
  for (const spanId of new Set(spanIds)) {
    const page = await store.listLogs({ traceId, spanId, limit: STEP_LOG_LIMIT + 1 });
    out.set(spanId, { records: page.items.slice(0, STEP_LOG_LIMIT), truncated: page.items.length > STEP_LOG_LIMIT });
  }
  return out;
}
