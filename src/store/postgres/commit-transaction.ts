/**
 * One ingest commit on PostgreSQL (issue 18): what the collector's commit
 * (ingest/pg-ingest-commit.ts) does inside one transaction — the enrichment
 * reads under its trace locks, then the spans, log records, metric points
 * and outbox entries written — so a commit is all or nothing, as on SQLite.
 */
import type { BudgetConfig, BudgetEventRecord } from '../../model/budgets.js';
import type { LogQuery, RawLogRecord, StoredLogRecord } from '../../model/log-types.js';
import type { RawMetric } from '../../model/metric-types.js';
import type { Page, SpanQuery } from '../../model/query.js';
import type { RawSpan, SpanRecord, StoredSpan } from '../../model/types.js';
import type { EnqueueOptions } from '../outbox.js';

/** What carries a resource and a scope: a raw span, a log record (an agent's steps made from its events take theirs). */
export type ResourceAndScope = Pick<RawSpan, 'resource' | 'scope'>;

/**
 * The transaction of one `PostgresTraceStore.commit` attempt (pg-commit.ts).
 * Await each call before the next (one connection, one statement at a
 * time). Usable only while the commit's `work` runs; after a call failed in
 * the database, every later call throws that error again (the transaction
 * is aborted), and so does the commit, even if `work` caught it.
 *
 * Lock order, so that replicas rarely deadlock: `storeResources`, then one
 * `lockTraces` naming every trace the commit writes (of its spans and of its
 * log records: `writeLogs` then waits for no trace lock, and `writeSpans`
 * for no trace lock but its sessions'). A lock taken later, out of that
 * order, may deadlock; PostgreSQL then rolls one commit back, and
 * `commit` runs its work again.
 */
export interface PgCommitTransaction {
  /**
   * Inserts the resource and scope bodies of these spans and log records that are not stored yet. Call it
   * before `lockTraces`: an insert may wait for another transaction's insert of the same body,
   * and must not wait while holding a lock that transaction needs (span-writer.ts). `writeSpans`
   * inserts its records' bodies again, which then waits for nothing: each is committed or this
   * transaction's own. A body not named here (a span made in the commit) is inserted there, under the locks.
   */
  storeResources(items: readonly ResourceAndScope[]): Promise<void>;
  /** Exclusive advisory locks on these traces (the span writer's kind-1 locks), taken sorted, held to COMMIT. */
  lockTraces(traceIds: Iterable<string>): Promise<void>;
  /** `TraceStore.getSpans`, read in this transaction. */
  getSpans(query: SpanQuery): Promise<Page<StoredSpan>>;
  /** `TraceStore.listLogs`, read in this transaction. */
  listLogs(query: LogQuery): Promise<Page<StoredLogRecord>>;
  /** Whether any log record of the trace is stored (SQLite's `hasTraceLogsSync`). */
  hasTraceLogs(traceId: string): Promise<boolean>;
  /**
   * `writeWithBudgets` (or `write` without budgets) in this transaction: the crossings it recorded.
   * Its change feed events are appended when the work has resolved, last before COMMIT.
   */
  writeSpans(records: readonly SpanRecord[], budgets?: BudgetConfig): Promise<BudgetEventRecord[]>;
  /** `writeLogs` in this transaction. */
  writeLogs(records: readonly RawLogRecord[]): Promise<void>;
  /** `writeMetrics` in this transaction. */
  writeMetrics(metrics: readonly RawMetric[]): Promise<void>;
  /** `PgOutbox.enqueue` in this transaction. */
  enqueue(upstreams: readonly string[], payload: Uint8Array, itemCount: number, options?: EnqueueOptions): Promise<void>;
}
