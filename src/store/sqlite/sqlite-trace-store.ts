import Database from 'better-sqlite3';
import type { LogQuery, RawLogRecord, StoredLogRecord } from '../../model/log-types.js';
import type { MetricQuery, RawMetric, StoredMetricPoint } from '../../model/metric-types.js';
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
} from '../../model/query.js';
import type { BudgetConfig, BudgetEventRecord, BudgetUsage } from '../../model/budgets.js';
import type { ChangeEvent } from '../../model/live-event.js';
import type { SessionSummary, SpanRecord, StoredSpan } from '../../model/types.js';
import type { BudgetReader } from '../budget-reader.js';
import type { ChangeFeedReader, ChangeFeedState, ReadChangesOptions } from '../change-feed.js';
import { SchemaVersionError, StoreError } from '../errors.js';
import type { TraceStore } from '../trace-store.js';
import type { ChangeFeedRetention } from '../common/store-defaults.js';
import { BudgetLedger } from './budget-ledger.js';
import { ChangeLog } from './change-log.js';
import { SCHEMA_VERSION, checkSchema, migrate } from './migrations/index.js';
import { SessionDeleter } from './session-deleter.js';
import type { RetentionPreview } from './session-deleter.js';
import { SpanSearch } from './span-search.js';
import { SessionQueries } from './session-queries.js';
import type { SessionModelUsage } from './session-queries.js';
import { SessionRollup } from './session-rollup.js';
import { SpanQueries } from './span-queries.js';
import { SpanWriter } from './span-writer.js';
import { StatsThread } from './stats-thread.js';
import { SpanStats } from './span-stats.js';
import { DeadWriterProbe, WriterRegistry } from './writer-registry.js';
import { LogWriter } from './log-writer.js';
import { MetricWriter } from './metric-writer.js';
import { SignalInterner } from './signal-interner.js';
import { LogQueries } from './log-queries.js';
import { MetricQueries } from './metric-queries.js';

export interface SqliteTraceStoreOptions {
  /** Database file, or ':memory:'. Created (with its directory's existing permissions) when missing. */
  path: string;
  /** How long a write waits for another process's transaction before failing. Default 5000. */
  busyTimeoutMillis?: number;
  /** Open for reads only: no migration, no writer registration, writes throw. */
  readonly?: boolean;
  /** How much of the change feed this instance keeps when it writes (default 100,000 events and 24 hours). */
  changeFeed?: ChangeFeedRetention;
  /**
   * Run `stats` on a thread with its own read-only connection, so a scan of a
   * busy day does not stall the caller's thread (the collector's receiver).
   * Default false; ignored for ':memory:'.
   */
  statsOnThread?: boolean;
}

export const DEFAULT_BUSY_TIMEOUT_MILLIS = 5000;

export interface WriteOptions {
  /** Budgets to evaluate the touched sessions against in the write transaction. */
  budgets?: BudgetConfig;
}

/**
 * The SQLite `TraceStore` (better-sqlite3). All work is synchronous under the
 * hood; the async methods exist for the interface. One immediate transaction
 * per `write`/`writeSync` call holds the spans and the session rollups they
 * change, so a reader never sees one without the other.
 */
export class SqliteTraceStore implements TraceStore, ChangeFeedReader, BudgetReader {
  readonly path: string;
  readonly readonly: boolean;
  private readonly db: Database.Database;
  private readonly writer: SpanWriter | null;
  private readonly logWriter: LogWriter | null;
  private readonly metricWriter: MetricWriter | null;
  private readonly writers: WriterRegistry | null;
  private readonly sessions: SessionQueries;
  private readonly spans: SpanQueries;
  private readonly logs: LogQueries;
  private readonly metrics: MetricQueries;
  private readonly searcher: SpanSearch;
  private readonly statistics: SpanStats;
  private readonly statsThread: StatsThread | undefined;
  private readonly deleter: SessionDeleter;
  private readonly changes: ChangeLog;
  private readonly budgets: BudgetLedger;
  /** This connection's commits, which SQLite's data_version does not count. */
  private localCommits = 0;
  private closed = false;
  /** Read-only: finds dead local writers, which a short read-write open then marks. */
  private readonly deadWriterProbe: DeadWriterProbe | null;
  /** Read-only: that read-write open failed once (no write permission); not tried again. */
  private deadWriterRecoveryFailed = false;

  /** Steps marked interrupted at open because the process that started them is gone. */
  readonly recoveredInterruptedCount: number;

  constructor(options: SqliteTraceStoreOptions) {
    this.path = options.path;
    this.readonly = options.readonly ?? false;
    this.db = openDatabase(options);
    try {
      if (this.readonly) checkSchema(this.db, this.path);
      else migrate(this.db, this.path);
      const rollup = new SessionRollup(this.db);
      this.sessions = new SessionQueries(this.db);
      this.spans = new SpanQueries(this.db);
      this.searcher = new SpanSearch(this.db);
      this.statistics = new SpanStats(this.db);
      this.deleter = new SessionDeleter(this.db);
      this.logs = new LogQueries(this.db);
      this.metrics = new MetricQueries(this.db);
      const logs = this.logs;
      this.changes = new ChangeLog(this.db, this.sessions, options.changeFeed, (id) => logs.byId(id));
      this.budgets = new BudgetLedger(this.db);
      if (this.readonly) {
        this.writers = null;
        this.writer = null;
        this.logWriter = null;
        this.metricWriter = null;
        this.recoveredInterruptedCount = 0;
        this.deadWriterProbe = new DeadWriterProbe(this.db);
      } else {
        this.deadWriterProbe = null;
        const writers = new WriterRegistry(this.db, rollup, this.changes);
        this.writers = writers;
        const interner = new SignalInterner(this.db);
        const logWriter = new LogWriter(this.db, interner, this.changes);
        this.logWriter = logWriter;
        this.writer = new SpanWriter(
          this.db,
          rollup,
          writers.writerId,
          () => writers.register(),
          this.changes,
          this.budgets,
          (traceId, sessionId, atMillis) => logWriter.adoptTrace(traceId, sessionId, atMillis),
        );
        this.metricWriter = new MetricWriter(this.db, interner);
        this.db.transaction(() => writers.register()).immediate();
        this.recoveredInterruptedCount = writers.recoverDeadWriters();
      }
      // Last: nothing after it can fail and leave the thread behind.
      this.statsThread = options.statsOnThread && this.path !== ':memory:' ? new StatsThread(this.path) : undefined;
    } catch (error) {
      this.db.close();
      throw wrapNotADatabase(error, this.path);
    }
  }

  static open(options: SqliteTraceStoreOptions): SqliteTraceStore {
    return new SqliteTraceStore(options);
  }

  /**
   * The underlying connection, for tables that must commit with the spans
   * (the forwarding outbox). Its schema belongs to this store's migrations.
   */
  get database(): Database.Database {
    this.checkOpen();
    return this.db;
  }

  /**
   * Runs `fn` in one immediate transaction; `writeSync` calls inside it join
   * that transaction, so spans and other rows (the outbox) commit together.
   */
  transaction<T>(fn: () => T): T {
    this.checkWritable();
    this.localCommits++;
    return this.db.transaction(fn).immediate();
  }

  /** The id under which this instance's open steps are recorded. null when read-only. */
  get writerId(): string | null {
    return this.writers?.writerId ?? null;
  }

  /**
   * Writes the batch in one transaction; returns once committed. For callers
   * that cannot await (timers, process 'exit').
   *
   * With `budgets`, the touched sessions' usage is compared with the limits in
   * that transaction, after the batch's rollups: crossings no writer of the
   * file recorded before are persisted (`getBudgetEvents`), appended to the
   * change feed as `budget` events, added to the crossing span's stored
   * events, and returned.
   */
  writeSync(spans: readonly SpanRecord[], options: WriteOptions = {}): BudgetEventRecord[] {
    this.checkOpen();
    if (!this.writer) throw new StoreError(`store ${this.path} is read-only`);
    this.localCommits++;
    return this.writer.write(spans, options.budgets);
  }

  async write(spans: readonly SpanRecord[]): Promise<void> {
    this.writeSync(spans);
  }

  /**
   * Stores log records (already redacted), each resolved to a session (its
   * own key, else its trace's session when the trace is stored, else none),
   * in one transaction, or in the caller's when called inside `transaction`.
   * Returns the number of records written.
   */
  writeLogsSync(records: readonly RawLogRecord[]): number {
    this.checkOpen();
    const writer = this.logWriter;
    if (!writer) throw new StoreError(`store ${this.path} is read-only`);
    if (records.length === 0) return 0;
    this.localCommits++;
    return this.inOwnTransaction(() => writer.write(records));
  }

  /** Stores metric points as `writeLogsSync` stores records; returns the number of points written. */
  writeMetricsSync(metrics: readonly RawMetric[]): number {
    this.checkOpen();
    const writer = this.metricWriter;
    if (!writer) throw new StoreError(`store ${this.path} is read-only`);
    if (metrics.length === 0) return 0;
    this.localCommits++;
    return this.inOwnTransaction(() => writer.write(metrics));
  }

  /**
   * `fn` in an immediate transaction, or in the caller's without a savepoint (SpanWriter.write says why: a
   * savepoint copies every page it touches to a statement journal); a failure then fails the caller's transaction.
   */
  private inOwnTransaction<T>(fn: () => T): T {
    return this.db.inTransaction ? fn() : this.db.transaction(fn).immediate();
  }

  async writeLogs(records: readonly RawLogRecord[]): Promise<void> {
    this.writeLogsSync(records);
  }

  async writeMetrics(metrics: readonly RawMetric[]): Promise<void> {
    this.writeMetricsSync(metrics);
  }

  async listLogs(query: LogQuery): Promise<Page<StoredLogRecord>> {
    this.checkOpen();
    return this.logs.listLogs(query);
  }

  /** `listLogs` and `getSpans` on the caller's thread, for a commit that reads inside its transaction (an agent's events enriching its spans). */
  listLogsSync(query: LogQuery): Page<StoredLogRecord> {
    this.checkOpen();
    return this.logs.listLogs(query);
  }

  /** Whether any log record of the trace is stored, for a commit that would read them only if so. */
  hasTraceLogsSync(traceId: string): boolean {
    this.checkOpen();
    return this.logs.hasTrace(traceId);
  }

  getSpansSync(query: SpanQuery): Page<StoredSpan> {
    this.checkOpen();
    return this.spans.getSpans(query);
  }

  async listMetricPoints(query: MetricQuery): Promise<Page<StoredMetricPoint>> {
    this.checkOpen();
    return this.metrics.listMetricPoints(query);
  }

  /** The session's budget crossings, oldest first; empty when none (or no such session). */
  async getBudgetEvents(sessionId: string): Promise<BudgetEventRecord[]> {
    this.checkOpen();
    return this.budgets.events(sessionId);
  }

  /** What the session has used, as its budgets count it. Throws `SessionNotFoundError`. */
  async getBudgetUsage(sessionId: string): Promise<BudgetUsage> {
    this.checkOpen();
    return this.budgets.usage(sessionId);
  }

  async getSession(sessionId: string): Promise<SessionSummary> {
    this.checkOpen();
    this.settleDeadWriters();
    return this.sessions.getSession(sessionId);
  }

  /** The per-model breakdown (calls, tokens, cost) of a session. */
  async getSessionModels(sessionId: string): Promise<SessionModelUsage[]> {
    this.checkOpen();
    return this.sessions.getSessionModels(sessionId);
  }

  /** Values redaction replaced in the session's spans, summed. */
  async getSessionRedactedCount(sessionId: string): Promise<number> {
    this.checkOpen();
    return this.sessions.getRedactedCount(sessionId);
  }

  async listSessions(query?: SessionQuery): Promise<Page<SessionSummary>> {
    this.checkOpen();
    this.settleDeadWriters();
    return this.sessions.listSessions(query);
  }

  async getTimeline(sessionId: string, options?: TimelineOptions): Promise<TimelineStep[]> {
    this.checkOpen();
    this.settleDeadWriters();
    return this.spans.getTimeline(sessionId, options);
  }

  async getTree(sessionId: string, options?: TimelineOptions): Promise<TreeNode[]> {
    this.checkOpen();
    this.settleDeadWriters();
    return this.spans.getTree(sessionId, options);
  }

  async getSpans(query: SpanQuery): Promise<Page<StoredSpan>> {
    this.checkOpen();
    this.settleDeadWriters();
    return this.spans.getSpans(query);
  }

  async search(query: SearchQuery): Promise<SearchHit[]> {
    this.checkOpen();
    return this.searcher.search(query);
  }

  async stats(query: StatsQuery): Promise<StatsRow[]> {
    this.checkOpen();
    if (this.statsThread?.running) {
      try {
        return await this.statsThread.stats(query);
      } catch {
        // The query's own error (an invalid filter) is thrown again below with its type; a dead thread is replaced by this one.
      }
    }
    return this.statistics.stats(query);
  }

  async deleteSession(sessionId: string): Promise<void> {
    this.checkWritable();
    this.deleter.deleteSessionById(sessionId);
  }

  async applyRetention(policy?: RetentionPolicy): Promise<RetentionResult> {
    this.checkWritable();
    return this.deleter.applyRetention(policy);
  }

  /** What `applyRetention(policy)` would delete now; reads only. */
  async previewRetention(policy?: RetentionPolicy): Promise<RetentionPreview> {
    return this.deleter.previewRetention(policy);
  }

  /**
   * Marks interrupted the open steps of other writers (any host) that have
   * not written for `silentForMillis`, and appends a `session.interrupted`
   * (and a `session.updated`) to the change feed for each session touched.
   * With `spareLiveLocalWriters`, writers on this host whose process is alive
   * are never judged by silence. Writers on this host whose process is gone
   * are marked at once, silent or not: they will never write again. Returns
   * the number of steps marked.
   */
  markInterrupted(options: { silentForMillis: number; spareLiveLocalWriters?: boolean }): number {
    this.checkWritable();
    if (!this.writers) return 0;
    this.localCommits++;
    const dead = this.writers.recoverDeadWriters();
    return dead + this.writers.markSilent(options.silentForMillis, options.spareLiveLocalWriters ?? false);
  }

  /** Change-feed events with `seq > afterSeq`, oldest first (see `ChangeFeedReader`). */
  readChanges(afterSeq: number, options: ReadChangesOptions): ChangeEvent[] {
    this.checkOpen();
    return this.changes.readChanges(afterSeq, options);
  }

  latestChangeSeq(): number {
    this.checkOpen();
    return this.changes.state().latestSeq;
  }

  changeFeedState(): ChangeFeedState {
    this.checkOpen();
    return this.changes.state();
  }

  commitVersion(): number {
    this.checkOpen();
    return this.changes.dataVersion() + this.localCommits;
  }

  /**
   * Releases the database. Steps this instance left open are marked
   * interrupted: nothing will end them. Safe to call twice.
   */
  closeSync(): void {
    if (this.closed) return;
    this.closed = true;
    void this.statsThread?.close();
    try {
      this.writers?.unregister();
    } finally {
      this.db.close();
    }
  }

  async close(): Promise<void> {
    // The thread's connection first: the last connection to close checkpoints and removes the WAL.
    if (!this.closed) await this.statsThread?.close();
    this.closeSync();
  }

  /**
   * Before a read of sessions or steps: a writer on this host whose process
   * is gone (SIGKILL, a crash: nothing closed its store) will never end its
   * open steps, so they are marked interrupted now rather than read as
   * running until the next writer opens the file. A read-only store cannot
   * write: it opens the file read-write for that moment, as any writer's open
   * would. Costs one read of the writers table when nobody died; never fails
   * the read (without write permission the steps keep reading as running).
   */
  private settleDeadWriters(): void {
    try {
      if (this.writers !== null) {
        if (this.writers.recoverDeadWriters() > 0) this.localCommits++;
        return;
      }
      if (this.deadWriterProbe === null || this.deadWriterRecoveryFailed || !this.deadWriterProbe.any()) return;
      // Its open marks the dead writers' steps (recoverDeadWriters), its close forgets itself.
      new SqliteTraceStore({ path: this.path }).closeSync();
    } catch {
      if (this.readonly) this.deadWriterRecoveryFailed = true;
    }
  }

  private checkOpen(): void {
    if (this.closed) throw new StoreError(`store ${this.path} is closed`);
  }

  private checkWritable(): void {
    this.checkOpen();
    if (this.readonly) throw new StoreError(`store ${this.path} is read-only`);
  }
}

function openDatabase(options: SqliteTraceStoreOptions): Database.Database {
  const readonly = options.readonly ?? false;
  let db: Database.Database;
  try {
    db = new Database(options.path, { readonly, fileMustExist: readonly });
  } catch (error) {
    throw wrapNotADatabase(error, options.path);
  }
  try {
    // Before anything else: even switching to WAL may wait on another process.
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMillis ?? DEFAULT_BUSY_TIMEOUT_MILLIS))}`);
    if (!readonly) {
      // WAL lets readers run during writes and two processes share the file.
      db.pragma('journal_mode = WAL');
      // NORMAL, not FULL: in WAL mode a power loss may lose the last commits but never corrupts the
      // database, and a process crash loses nothing committed; an fsync per commit would cost
      // ~40–60% of write throughput (PERFORMANCE.md).
      db.pragma('synchronous = NORMAL');
    }
  } catch (error) {
    db.close();
    throw wrapNotADatabase(error, options.path);
  }
  return db;
}

function wrapNotADatabase(error: unknown, path: string): unknown {
  const code = (error as { code?: string }).code;
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
    return new SchemaVersionError(
      `${path} is not a SQLite database (${(error as Error).message}); refusing to open it as a Skein store`,
      path,
      -1,
      SCHEMA_VERSION,
    );
  }
  return error;
}
