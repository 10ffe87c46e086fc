import { diag } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { openPgIngestCommit } from '../ingest/pg-ingest-commit.js';
import type { AsyncIngestCommit, OpenedPgCommit } from '../ingest/pg-ingest-commit.js';
import type { Ingest } from '../ingest/ingest-settings.js';
import type { BudgetEventRecord } from '../model/budgets.js';
import type { RawSpan } from '../model/types.js';
import { BatchWriter } from './batch-writer.js';
import { addBeforeExitHook, removeBeforeExitHook } from './exit-hooks.js';
import { readableSpanToRaw } from './readable-span-to-raw.js';
import { errorMessage } from './report-only.js';
import type { SpanSink } from './span-sink.js';

/** After a failed open, spans arriving start another attempt at most this often (a flush starts one at once). */
const REOPEN_INTERVAL_MILLIS = 5_000;

export interface PgSpanSinkOptions {
  /** `postgres://user:password@host:port/database`: never named with its password. */
  url: string;
  maxBatchSize: number;
  maxQueueSize: number;
  /** The redactor, normalizer, prices and budgets each commit runs with (`createPgIngestCommit`). */
  ingest: Ingest;
  onBudget: (crossings: BudgetEventRecord[]) => void;
  onError: (error: unknown) => void;
  /** Runs the sink's own work with tracing suppressed (node-postgres may be instrumented). */
  runInternal: <T>(fn: () => T) => T;
}

/**
 * Spans committed to a PostgreSQL database (`dbUrl`), the one `skein serve
 * --db postgres://…` replicas share, through the ingest commit every way in
 * uses: redaction, normalization, prices, enrichment and budgets in one
 * transaction. The app's thread snapshots each span into a `BatchWriter`
 * queue (open replaced by ended, bounded); each batch is one commit.
 *
 * The store opens in the background from the constructor; spans queue
 * meanwhile, and a flush waits for the open. An open that fails is reported
 * to `onError` once (naming the database without its password) and spans
 * are then counted failed, not queued, until another attempt has opened it: a
 * `flush()` tries again at once, spans arriving try again at most every
 * `REOPEN_INTERVAL_MILLIS`, so the app starts recording once the database is
 * up. A commit that fails (the database lost) is reported each time and its
 * batch counted failed, as `BatchWriter` does for a store given in code; the
 * pool reconnects for the next one.
 *
 * When the event loop drains without `shutdown()` (`beforeExit`), what is
 * queued is committed once more. A `process.exit()` or a signal cannot wait
 * for a commit: spans not yet committed then are lost (warned about). Either
 * way the store is not closed: its open steps are marked interrupted by the
 * next replica that sees this writer gone.
 */
export class PgSpanSink implements SpanSink {
  private readonly writer: BatchWriter<RawSpan>;
  private readonly url: string;
  private readonly ingest: Ingest;
  private readonly onBudget: (crossings: BudgetEventRecord[]) => void;
  private readonly onError: (error: unknown) => void;
  private readonly runInternal: <T>(fn: () => T) => T;
  private store: OpenedPgCommit | undefined;
  private commit: AsyncIngestCommit | undefined;
  /** The latest open attempt; settles (never rejects) once it opened or failed. */
  private opening: Promise<void>;
  private openInProgress = false;
  /** An open failed and none succeeded since: the failure has been reported, spans are counted failed. */
  private unopened = false;
  private nextReopenAt = 0;
  /** Ended spans refused, and queued records whose batch found no open store. */
  private unopenedFailed = 0;
  /** Crossings committed, handed to `onBudget` from the flush's own context (not the writer's internal work). */
  private crossings: BudgetEventRecord[] = [];
  private closed = false;
  private readonly beforeExitHook = (): void => this.flushBeforeExit();

  constructor(options: PgSpanSinkOptions) {
    this.url = options.url;
    this.ingest = options.ingest;
    this.onBudget = options.onBudget;
    this.onError = options.onError;
    this.runInternal = options.runInternal;
    this.writer = new BatchWriter<RawSpan>({
      // The commit normalizes (after redaction), so a batch holds the snapshots as taken.
      store: { write: (spans) => this.commitBatch(spans) },
      normalize: (raw) => raw,
      maxBatchSize: options.maxBatchSize,
      maxQueueSize: options.maxQueueSize,
      onError: options.onError,
      runInternal: options.runInternal,
    });
    this.opening = this.open();
    addBeforeExitHook(this.beforeExitHook);
  }

  get size(): number {
    return this.writer.size;
  }

  get droppedCount(): number {
    return this.writer.droppedCount;
  }

  get failedCount(): number {
    return this.writer.failedCount + this.unopenedFailed;
  }

  enqueue(span: ReadableSpan, ended: boolean): boolean {
    if (this.unopened) {
      if (ended) this.unopenedFailed++;
      if (Date.now() >= this.nextReopenAt) this.reopen();
      return false;
    }
    return this.writer.enqueue(readableSpanToRaw(span, !ended));
  }

  flushInBackground(): void {
    void this.flush();
  }

  // Waits for an open under way (a retry's too): once flushed, the store is open or known not to be.
  flush(): Promise<void> {
    this.reopen();
    return this.opening.then(() => this.writer.flush()).then(() => this.deliverCrossings());
  }

  flushOnExit(): void {
    const queued = this.writer.size;
    if (queued > 0) diag.warn(`SkeinSpanProcessor: ${queued} spans not written at exit (dbUrl commits are asynchronous)`);
  }

  async close(): Promise<void> {
    this.closed = true;
    removeBeforeExitHook(this.beforeExitHook);
    await this.opening;
    await this.store?.close();
  }

  /**
   * The loop drained with spans queued: committing them keeps the process
   * alive until done, then `beforeExit` fires again with nothing queued (a
   * failed commit empties the queue too), so this cannot keep it alive.
   */
  private flushBeforeExit(): void {
    if (this.writer.size > 0 && !this.closed) void this.flush();
  }

  /** Another attempt, when the last one failed and none is under way. */
  private reopen(): void {
    if (!this.unopened || this.openInProgress || this.closed) return;
    this.opening = this.open();
  }

  private async open(): Promise<void> {
    this.openInProgress = true;
    try {
      const store = await this.runInternal(() => openPgIngestCommit(this.url, this.ingest));
      this.store = store;
      this.commit = store.commit;
      if (this.unopened) diag.info(`SkeinSpanProcessor: opened the database ${store.database}; spans are stored again`);
      this.unopened = false;
    } catch (error) {
      this.nextReopenAt = Date.now() + REOPEN_INTERVAL_MILLIS;
      if (!this.unopened) this.onError(this.openFailure(error));
      this.unopened = true;
    } finally {
      this.openInProgress = false;
    }
  }

  private openFailure(cause: unknown): Error {
    // The store's message names the database without its password.
    return new Error(`SkeinSpanProcessor: ${errorMessage(cause)}; spans will not be stored until it opens (tried again on the next flush)`, { cause });
  }

  private async commitBatch(spans: readonly RawSpan[]): Promise<void> {
    await this.opening;
    const commit = this.commit;
    if (commit === undefined) {
      // Reported once, when the open failed.
      this.unopenedFailed += spans.length;
      return;
    }
    const { crossings } = await commit([...spans]);
    for (const crossing of crossings) this.crossings.push(crossing);
  }

  private deliverCrossings(): void {
    if (this.crossings.length === 0) return;
    const crossings = this.crossings;
    this.crossings = [];
    this.onBudget(crossings);
  }
}
