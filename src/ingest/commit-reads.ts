/**
 * The store reads an ingest commit makes inside its transaction (the
 * enrichment of agent-enrichment.ts, agent-usage-join.ts and
 * genai-event-enrichment.ts), written once for both stores: the enrichment
 * is a generator that yields each read it needs and is resumed with the
 * answer. SQLite answers on the spot, inside its synchronous transaction
 * (`runReadsSync`); PostgreSQL answers over the network, inside the
 * commit's transaction (`runReads`).
 */
import type { LogQuery, StoredLogRecord } from '../model/log-types.js';
import type { Page, SpanQuery } from '../model/query.js';
import type { StoredSpan } from '../model/types.js';

export type StoreRead =
  | { kind: 'spans'; query: SpanQuery }
  | { kind: 'logs'; query: LogQuery }
  | { kind: 'hasTraceLogs'; traceId: string };

/** A computation that reads the store as it goes: yields each read, resumed with its answer, returns `T`. */
export type Reading<T> = Generator<StoreRead, T, unknown>;

/** The stored spans `query` finds (`TraceStore.getSpans`). */
export function* readSpans(query: SpanQuery): Reading<Page<StoredSpan>> {
  return (yield { kind: 'spans', query }) as Page<StoredSpan>;
}

/** The stored log records `query` finds (`TraceStore.listLogs`). */
export function* readLogs(query: LogQuery): Reading<Page<StoredLogRecord>> {
  return (yield { kind: 'logs', query }) as Page<StoredLogRecord>;
}

/** Whether any log record of the trace is stored. */
export function* readHasTraceLogs(traceId: string): Reading<boolean> {
  return (yield { kind: 'hasTraceLogs', traceId }) as boolean;
}

/** Answers the reads synchronously (SQLite, inside its transaction). */
export interface SyncReads {
  getSpansSync(query: SpanQuery): Page<StoredSpan>;
  listLogsSync(query: LogQuery): Page<StoredLogRecord>;
  hasTraceLogsSync(traceId: string): boolean;
}

/** Answers the reads with promises (PostgreSQL, inside the commit's transaction). */
export interface AsyncReads {
  getSpans(query: SpanQuery): Promise<Page<StoredSpan>>;
  listLogs(query: LogQuery): Promise<Page<StoredLogRecord>>;
  hasTraceLogs(traceId: string): Promise<boolean>;
}

export function runReadsSync<T>(reading: Reading<T>, store: SyncReads): T {
  let step = reading.next();
  while (!step.done) {
    const read = step.value;
    step = reading.next(
      read.kind === 'spans' ? store.getSpansSync(read.query) : read.kind === 'logs' ? store.listLogsSync(read.query) : store.hasTraceLogsSync(read.traceId),
    );
  }
  return step.value;
}

export async function runReads<T>(reading: Reading<T>, store: AsyncReads): Promise<T> {
  let step = reading.next();
  while (!step.done) {
    const read = step.value;
    step = reading.next(
      read.kind === 'spans'
        ? await store.getSpans(read.query)
        : read.kind === 'logs'
          ? await store.listLogs(read.query)
          : await store.hasTraceLogs(read.traceId),
    );
  }
  return step.value;
}
