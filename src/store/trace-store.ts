import type {
  Page,
  RetentionPolicy,
  RetentionResult,
  SearchHit,
  SearchQuery,
  SessionQuery,
  SpanQuery,
  StatsQuery,
  StatsRow,
  TimelineOptions,
  TimelineStep,
  TreeNode,
} from '../model/query.js';
import type { LogQuery, RawLogRecord, StoredLogRecord } from '../model/log-types.js';
import type { MetricQuery, RawMetric, StoredMetricPoint } from '../model/metric-types.js';
import type { SessionSummary, SpanRecord, StoredSpan } from '../model/types.js';

/**
 * Where Skein keeps spans. Every backend passes `test/store/contract.ts`.
 *
 * - `write` is idempotent on (traceId, spanId): writing a span again replaces
 *   it, so an open step written at start is completed by its end. A record
 *   with no end never replaces one that has ended. It resolves only once the
 *   spans and the session rollups are durable (committed together).
 * - Reads never return `null` for a missing thing: they throw
 *   `SessionNotFoundError`. A query the backend cannot answer exactly throws
 *   `InvalidQueryError`; it is never approximated.
 */
export interface TraceStore {
  write(spans: readonly SpanRecord[]): Promise<void>;
  /**
   * Log records and metric points as received (already redacted), each
   * resolved to a session as `StoredLogRecord`/`StoredMetricPoint` say; not
   * idempotent (OTLP gives them no identity). Durable when it resolves.
   */
  writeLogs(records: readonly RawLogRecord[]): Promise<void>;
  writeMetrics(metrics: readonly RawMetric[]): Promise<void>;

  getSession(sessionId: string): Promise<SessionSummary>;
  listSessions(query?: SessionQuery): Promise<Page<SessionSummary>>;
  /** Every step of the session in start order, with depth (an agent's internal spans only with `includeInternal`). */
  getTimeline(sessionId: string, options?: TimelineOptions): Promise<TimelineStep[]>;
  /** The timeline as a forest: roots are steps whose parent is not in the session. */
  getTree(sessionId: string, options?: TimelineOptions): Promise<TreeNode[]>;
  getSpans(query: SpanQuery): Promise<Page<StoredSpan>>;
  search(query: SearchQuery): Promise<SearchHit[]>;
  stats(query: StatsQuery): Promise<StatsRow[]>;
  /** Log records in time order; `InvalidQueryError` for a bad cursor or limit. */
  listLogs(query: LogQuery): Promise<Page<StoredLogRecord>>;
  listMetricPoints(query: MetricQuery): Promise<Page<StoredMetricPoint>>;

  deleteSession(sessionId: string): Promise<void>;
  applyRetention(policy?: RetentionPolicy): Promise<RetentionResult>;

  /** Flushes what is pending and releases the backend. Safe to call twice. */
  close(): Promise<void>;
}
