/**
 * The PostgreSQL `TraceStore` (issue 18): the same contract as the SQLite
 * store, for several collectors sharing one database. Each part lives in its
 * own module; this class opens the pool, migrates, and hands each call to
 * the part that answers it.
 */

import type pg from 'pg';
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
import type { AsyncChangeFeedReader, ChangeFeedState, ReadChangesOptions } from '../change-feed.js';
import { DatabaseOpenError, StoreError } from '../errors.js';
import type { TraceStore } from '../trace-store.js';
import { PgBudgetLedger } from './budget-ledger.js';
import { PgChangeLog } from './change-log.js';
import type { PgChangeFeedOptions } from './change-log.js';
import type { PgCommitTransaction } from './commit-transaction.js';
import { openPool, redactUrl, unavailableAs } from './connection.js';
import { checkPgSchema, migratePg } from './migrations/index.js';
import { runCommit } from './pg-commit.js';
import type { CommitParts } from './pg-commit.js';
import { PgOutbox } from './pg-outbox.js';
import type { PgOutboxOptions } from './pg-outbox.js';
import { previewRetention } from './retention-preview.js';
import type { RetentionPreview } from './retention-preview.js';
import { PgSessionDeleter } from './session-deleter.js';
import { PgSessionQueries } from './session-queries.js';
import { PgSessionRollup } from './session-rollup.js';
import { PgSignals } from './signal-store.js';
import { PgSpanQueries } from './span-queries.js';
import { PgSpanSearch } from './span-search.js';
import { PgSpanStats } from './span-stats.js';
import { PgSpanWriter } from './span-writer.js';
import { PgWriterRegistry, writerRegistryOptions } from './writer-registry.js';
import type { WriterRegistryOptions } from './writer-registry.js';

export interface PostgresTraceStoreOptions extends WriterRegistryOptions {
  /** `postgres://user:password@host:port/database` (or `postgresql://`). */
  url: string;
  /** Open for reads only: no migration, writes throw. */
  readonly?: boolean;
  /** Connections in the pool. Default 4. */
  poolSize?: number;
  /** Idle connections do not keep the process alive: for a store inside an app (the processor's `dbUrl`). Default false. */
  allowExitOnIdle?: boolean;
  /** The change feed's retention and wake-up poll. */
  changeFeed?: PgChangeFeedOptions;
}

export class PostgresTraceStore implements TraceStore, BudgetReader, AsyncChangeFeedReader {
  /** The URL without its password: what messages name. */
  readonly database: string;
  readonly readonly: boolean;
  private readonly pool: pg.Pool;
  private readonly writer: PgSpanWriter;
  private readonly sessions: PgSessionQueries;
  private readonly spans: PgSpanQueries;
  private readonly searcher: PgSpanSearch;
  private readonly statistics: PgSpanStats;
  private readonly deleter: PgSessionDeleter;
  private readonly signals: PgSignals;
  private readonly budgets: PgBudgetLedger;
  private readonly changes: PgChangeLog;
  /** What `commit` runs on its client. */
  private readonly commitParts: CommitParts;
  /** Null when read-only: such a store writes no steps, and marks none. */
  private readonly writers: PgWriterRegistry | null;
  private recovered = 0;
  private closed = false;
  /** Writes under way: close() waits for them, so none commits an open step after the writer row is gone. */
  private readonly inFlight = new Set<Promise<unknown>>();

  private constructor(options: PostgresTraceStoreOptions, pool: pg.Pool) {
    this.database = redactUrl(options.url);
    this.readonly = options.readonly ?? false;
    this.pool = pool;
    this.signals = new PgSignals(pool);
    this.budgets = new PgBudgetLedger(pool);
    const rollup = new PgSessionRollup();
    this.sessions = new PgSessionQueries(pool);
    this.changes = new PgChangeLog(pool, options.url, this.sessions, options.changeFeed);
    this.writers = this.readonly
      ? null
      : new PgWriterRegistry(pool, rollup, options, (client, steps) => this.changes.stepsInterrupted(client, steps));
    this.writer = new PgSpanWriter(pool, this.signals, this.writers?.writerId ?? null, this.budgets, this.changes);
    this.spans = new PgSpanQueries(pool);
    this.searcher = new PgSpanSearch(pool);
    this.statistics = new PgSpanStats(pool);
    this.deleter = new PgSessionDeleter(pool, this.signals);
    // Only its enqueue is used (no claim): its replica id means nothing here.
    const outbox = new PgOutbox(pool);
    this.commitParts = { writer: this.writer, spans: this.spans, signals: this.signals, outbox, changes: this.changes };
  }

  /**
   * Connects, and migrates the schema (or, read-only, checks it); the error
   * names the database. Read-write, it also registers as a writer, marks the
   * open steps of writers that are gone (`recoveredInterruptedCount`), and
   * starts its heartbeat.
   */
  static async open(options: PostgresTraceStoreOptions): Promise<PostgresTraceStore> {
    const readonly = options.readonly ?? false;
    writerRegistryOptions(options);
    const pool = openPool(options.url, { max: options.poolSize, allowExitOnIdle: options.allowExitOnIdle });
    // An idle client's error (the server restarting) must not crash the process; the next query reports it.
    pool.on('error', () => undefined);
    const database = redactUrl(options.url);
    try {
      if (readonly) await checkPgSchema(pool, database);
      else await migratePg(pool, database);
      const store = new PostgresTraceStore(options, pool);
      if (store.writers !== null) {
        await store.writers.register();
        try {
          store.recovered = await store.writers.recoverDeadWriters();
        } catch (error) {
          await store.writers.unregister().catch(() => undefined);
          throw error;
        }
        store.writers.start();
      }
      return store;
    } catch (error) {
      await pool.end().catch(() => undefined);
      if (error instanceof StoreError) throw error;
      // Node's AggregateError (every address refused) has an empty message: its code says it.
      const reason = error instanceof Error && error.message !== '' ? error.message : String((error as { code?: unknown }).code ?? error);
      throw new DatabaseOpenError(database, reason);
    }
  }

  /** Steps marked interrupted at open because the writer that started them is gone. */
  get recoveredInterruptedCount(): number {
    return this.recovered;
  }

  /** The id this store's open steps carry. null when read-only. */
  get writerId(): string | null {
    return this.writers?.writerId ?? null;
  }

  /**
   * Marks the open steps of writers that are gone now, rather than at the
   * next heartbeat; returns the number marked (0 when read-only).
   */
  async recoverDeadWriters(): Promise<number> {
    return this.reading(async () => (await this.writers?.recoverDeadWriters()) ?? 0);
  }

  private checkOpen(): void {
    if (this.closed) throw new StoreError(`store ${this.database} is closed`);
  }

  private checkWritable(): void {
    this.checkOpen();
    if (this.readonly) throw new StoreError(`store ${this.database} is read-only`);
  }

  /**
   * Runs a read, checked open: an unreachable database or a lost connection
   * is a `StoreUnavailableError` naming the database.
   */
  private async reading<T>(work: () => Promise<T>): Promise<T> {
    this.checkOpen();
    try {
      return await work();
    } catch (error) {
      throw unavailableAs(error, this.database);
    }
  }

  /** Runs a write as `reading` does, checked writable, and tracked until it settles (what close() waits for). */
  private tracked<T>(work: () => Promise<T>): Promise<T> {
    this.checkWritable();
    const operation = work().catch((error: unknown) => {
      throw unavailableAs(error, this.database);
    });
    this.inFlight.add(operation);
    const forget = (): void => {
      this.inFlight.delete(operation);
    };
    operation.then(forget, forget);
    return operation;
  }

  async write(spans: readonly SpanRecord[]): Promise<void> {
    await this.tracked(() => this.writer.write(spans));
  }

  /**
   * `write`, and the touched sessions' usage compared with `budgets` in the
   * same transaction, after the rollups: crossings no replica recorded
   * before are persisted (`getBudgetEvents`), added to the crossing span's
   * stored events, and returned (SQLite's `writeSync(spans, { budgets })`).
   */
  async writeWithBudgets(spans: readonly SpanRecord[], budgets: BudgetConfig): Promise<BudgetEventRecord[]> {
    return this.tracked(() => this.writer.write(spans, budgets));
  }

  /** The session's budget crossings, oldest first; empty when none (or no such session). */
  async getBudgetEvents(sessionId: string): Promise<BudgetEventRecord[]> {
    return this.reading(() => this.budgets.events(sessionId));
  }

  /** What the session has used, as its budgets count it. Throws `SessionNotFoundError`. */
  async getBudgetUsage(sessionId: string): Promise<BudgetUsage> {
    return this.reading(() => this.budgets.usage(sessionId));
  }

  async writeLogs(records: readonly RawLogRecord[]): Promise<void> {
    await this.tracked(() => this.signals.writeLogs(records, this.changes));
  }

  async writeMetrics(metrics: readonly RawMetric[]): Promise<void> {
    await this.tracked(() => this.signals.writeMetrics(metrics));
  }

  /**
   * Runs `work` in one transaction on one pooled client (an ingest commit,
   * commit-transaction.ts): everything `tx` does runs in it, COMMIT when
   * `work` resolves, ROLLBACK when it throws (then nothing of it is stored:
   * spans, records, points, outbox entries, change feed events). Resolves
   * with what `work` resolved with.
   *
   * Retried: when PostgreSQL rolls the transaction back for a deadlock
   * (40P01) or a serialization failure (40001), `work` runs again from the
   * start with a new `tx`, up to 3 attempts in all; so `work` must be
   * re-runnable, keeping nothing of a failed attempt. A database that cannot
   * be reached or a connection lost is a `StoreUnavailableError` (not
   * retried); read-only or closed, a `StoreError`. close() waits for a
   * commit under way.
   */
  async commit<T>(work: (tx: PgCommitTransaction) => Promise<T>): Promise<T> {
    return this.tracked(() => runCommit(this.pool, this.commitParts, work));
  }

  /**
   * The forwarding outbox in this database, on the store's pool (closed with
   * it): `skein outbox`, or a forwarder with its own `replicaId`.
   */
  outbox(options: PgOutboxOptions = {}): PgOutbox {
    this.checkOpen();
    return new PgOutbox(this.pool, options);
  }

  /** Whether any log record of the trace is stored (SQLite's `hasTraceLogsSync`). */
  async hasTraceLogs(traceId: string): Promise<boolean> {
    return this.reading(() => this.signals.hasTraceLogs(traceId));
  }

  async getSession(sessionId: string): Promise<SessionSummary> {
    return this.reading(() => this.sessions.getSession(sessionId));
  }

  async listSessions(query: SessionQuery = {}): Promise<Page<SessionSummary>> {
    return this.reading(() => this.sessions.listSessions(query));
  }

  async getTimeline(sessionId: string, options: TimelineOptions = {}): Promise<TimelineStep[]> {
    return this.reading(() => this.spans.getTimeline(sessionId, options));
  }

  async getTree(sessionId: string, options: TimelineOptions = {}): Promise<TreeNode[]> {
    return this.reading(() => this.spans.getTree(sessionId, options));
  }

  async getSpans(query: SpanQuery): Promise<Page<StoredSpan>> {
    return this.reading(() => this.spans.getSpans(query));
  }

  async search(query: SearchQuery): Promise<SearchHit[]> {
    return this.reading(() => this.searcher.search(query));
  }

  async stats(query: StatsQuery): Promise<StatsRow[]> {
    return this.reading(() => this.statistics.stats(query));
  }

  async listLogs(query: LogQuery): Promise<Page<StoredLogRecord>> {
    return this.reading(() => this.signals.listLogs(query));
  }

  async listMetricPoints(query: MetricQuery): Promise<Page<StoredMetricPoint>> {
    return this.reading(() => this.signals.listMetricPoints(query));
  }

  async deleteSession(sessionId: string): Promise<void> {
    await this.tracked(() => this.deleter.deleteSession(sessionId));
  }

  async applyRetention(policy: RetentionPolicy = {}): Promise<RetentionResult> {
    return this.tracked(() => this.deleter.applyRetention(policy));
  }

  /** What `applyRetention(policy)` would delete now (`skein prune --dry-run`); a read-only store answers too. */
  async previewRetention(policy: RetentionPolicy = {}): Promise<RetentionPreview> {
    return this.reading(() => previewRetention(this.pool, policy));
  }

  async readChanges(afterSeq: number, options: ReadChangesOptions): Promise<ChangeEvent[]> {
    return this.reading(() => this.changes.readChanges(afterSeq, options));
  }

  async latestChangeSeq(): Promise<number> {
    return this.reading(() => this.changes.latestChangeSeq());
  }

  async changeFeedState(): Promise<ChangeFeedState> {
    return this.reading(() => this.changes.changeFeedState());
  }

  /** Wakes `listener` after commits of any writer of the database (LISTEN/NOTIFY, and a poll). */
  onCommit(listener: () => void): () => void {
    this.checkOpen();
    return this.changes.onCommit(listener);
  }

  /**
   * Releases the pool. Read-write, the steps this store left open are first
   * marked interrupted (nothing will end them, as in SQLite) and its writer
   * row removed, after the writes under way have settled (one committing
   * later would leave an open step of a forgotten writer). Safe to call twice.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.inFlight]);
    try {
      await this.changes.close();
      await this.writers?.stop();
      await this.writers?.unregister();
    } finally {
      await this.pool.end();
    }
  }
}
