import { diag } from '@opentelemetry/api';
import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { createIngest } from '../ingest/ingest-settings.js';
import type { BudgetCrossing, BudgetEventRecord } from '../model/budgets.js';
import { BudgetMonitor } from './budget-monitor.js';
import { addExitHook, removeExitHook } from './exit-hooks.js';
import { FlushSchedule } from './flush-schedule.js';
import { InternalWork } from './internal-work.js';
import { openSpanSink } from './open-span-sink.js';
import { resolveProcessorSettings } from './processor-settings.js';
import { errorMessage, reportOnly } from './report-only.js';
import type { SkeinSpanProcessorOptions } from './skein-span-processor-options.js';
import { SpanForwarder } from './span-forwarder.js';
import type { SpanSink } from './span-sink.js';

/**
 * Records every span in a Skein store: `onStart` queues the open step,
 * `onEnd` queues it completed. Neither does I/O nor throws; writes happen in
 * batches after the span calls return (on size, on a short unref'd timer, on
 * `forceFlush`, `shutdown` and process exit), by one `SpanSink` chosen in the
 * constructor (with `dbPath`, a writer thread; with `dbUrl`, commits to
 * PostgreSQL; see `openSpanSink`).
 * `forceFlush` resolves once everything queued before the call is committed.
 *
 * Write failures go to the OTel global error handler and are kept: the next
 * `forceFlush()` rejects with the last one. `shutdown()` always resolves: a
 * failure then is reported, and spans lost are counted (`failedSpans`) and
 * warned about. Forwarding failures are reported and counted
 * (`forwardFailedSpans`), never kept: the upstream being down is not the
 * app's problem. Spans refused because the queue is full are counted
 * (`droppedSpans`) and warned about.
 */
export class SkeinSpanProcessor implements SpanProcessor {
  private readonly sink: SpanSink;
  private readonly forwarder: SpanForwarder | undefined;
  private readonly internal: InternalWork;
  private readonly schedule: FlushSchedule;
  private readonly maxBatchSize: number;
  private readonly maxQueueSize: number;
  private readonly exitHook = (): void => this.flushOnExit();
  private keptError: unknown = undefined;
  /** The last write failure, kept for the warning at shutdown after forceFlush() took keptError. */
  private lastWriteError: unknown = undefined;
  private hasKeptError = false;
  private droppedReported = 0;
  /** Span records that could not be converted for the sink. */
  private conversionFailures = 0;
  private shutdownPromise: Promise<void> | undefined;
  private readonly budgetMonitor: BudgetMonitor;
  private readonly enforce: boolean;

  /**
   * Throws only for options that are wrong in the code (a bad number, not
   * exactly one of store, dbPath and dbUrl, a dbUrl that is not a PostgreSQL
   * URL, an invalid config file, budget or redaction pattern). A `dbPath` or
   * `dbUrl` that cannot be opened is not one: it is reported to the OTel
   * error handler, naming the path or the database (never its password), and
   * raised by the next `forceFlush()`; spans are then counted in
   * `failedSpans` (with `dbUrl`, until a later flush opens it).
   */
  constructor(options: SkeinSpanProcessorOptions) {
    const { store, dbPath, dbUrl, forward } = options;
    checkDestination(options);
    // Before a store is opened: a bad number, config file or budget fails here.
    const { maxBatchSize, maxQueueSize, flushIntervalMillis, ingest: settings } = resolveProcessorSettings(options);
    this.budgetMonitor = new BudgetMonitor({ onBudget: options.onBudget, onError: (error) => reportOnly(error) });
    this.enforce = options.enforce ?? false;
    // Compiles the redaction patterns: before a store is opened that would then leak.
    const ingest = createIngest(settings);
    this.maxBatchSize = maxBatchSize;
    this.maxQueueSize = maxQueueSize;
    this.schedule = new FlushSchedule(flushIntervalMillis, () => this.flushInBackground());
    // A store given in code without writeSync, and PostgreSQL, write asynchronously; one opened from dbPath has writeSync.
    this.internal = new InternalWork((store !== undefined && typeof store.writeSync !== 'function') || dbUrl !== undefined);
    this.sink = openSpanSink({
      store,
      dbPath,
      dbUrl,
      maxBatchSize,
      maxQueueSize,
      ingest,
      onBudget: (crossings: BudgetEventRecord[]) => this.budgetMonitor.record(crossings),
      onError: (error) => this.report(error),
      internal: this.internal,
    });
    this.forwarder = forward === undefined ? undefined : new SpanForwarder(forward, ingest.redactor, this.internal);
    addExitHook(this.exitHook);
  }

  /** Ended spans refused because the queue was full: lost. */
  get droppedSpans(): number {
    return this.sink.droppedCount;
  }

  /** Span records (open or ended) lost because converting them or writing their batch failed. */
  get failedSpans(): number {
    return this.sink.failedCount + this.conversionFailures;
  }

  /** Spans the `forward` exporter failed to export (the upstream down, refused, timed out): not forwarded, still stored. */
  get forwardFailedSpans(): number {
    return this.forwarder?.failedSpans ?? 0;
  }

  /**
   * True once a write of this processor recorded the session exceeding a
   * limit (warnings do not count). Lags by the flush interval; exact after
   * `forceFlush()`. Sessions taken over by another process are not seen.
   */
  isOverBudget(sessionId: string): boolean {
    return this.budgetMonitor.exceededBy(sessionId) !== undefined;
  }

  /** For `AgentTracer`: the limit the session exceeded when `enforce` is on, else undefined. */
  exceededBudget(sessionId: string): BudgetCrossing | undefined {
    return this.enforce ? this.budgetMonitor.exceededBy(sessionId) : undefined;
  }

  onStart(span: Span, _parentContext: Context): void {
    if (this.ignoring()) return;
    this.record(span, false);
  }

  onEnd(span: ReadableSpan): void {
    if (this.ignoring()) return;
    this.record(span, true);
    this.forwarder?.onEnd(span);
  }

  async forceFlush(): Promise<void> {
    if (this.shutdownPromise !== undefined) {
      // After shutdown there is nothing left to flush; its own failure is reported by shutdown().
      await this.shutdownPromise.catch(() => undefined);
      return;
    }
    await this.flushNow();
    await this.forwarder?.forceFlush();
    this.takeKeptError();
  }

  shutdown(): Promise<void> {
    // doShutdown catches each step's failure; this is for what it did not foresee.
    this.shutdownPromise ??= this.doShutdown().catch(reportOnly);
    return this.shutdownPromise;
  }

  /**
   * Resolves in every case: the app is going away and can do nothing with a
   * rejection but crash. Each failure was reported when it happened (or is
   * reported here), and the spans lost are counted and warned about.
   */
  private async doShutdown(): Promise<void> {
    removeExitHook(this.exitHook);
    this.forwarder?.stopExitFlush();
    await this.flushNow();
    await this.forwarder?.shutdown();
    try {
      await this.sink.close();
    } catch (error) {
      reportOnly(error);
    }
    this.warnDropped(true);
    this.warnFailed();
    this.keptError = undefined;
    this.hasKeptError = false;
  }

  private record(span: ReadableSpan, ended: boolean): void {
    try {
      if (!this.sink.enqueue(span, ended)) return;
    } catch (error) {
      this.conversionFailures++;
      this.report(error);
      return;
    }
    this.schedule.queued(this.sink.size >= this.maxBatchSize);
  }

  // Nobody waits for the write here: only forceFlush and shutdown do.
  private flushInBackground(): void {
    this.schedule.cancelTimer();
    this.sink.flushInBackground();
    this.warnDropped(false);
  }

  private flushNow(): Promise<void> {
    this.schedule.cancelTimer();
    const flushed = this.sink.flush();
    this.warnDropped(false);
    return flushed;
  }

  private flushOnExit(): void {
    if (this.shutdownPromise === undefined) this.sink.flushOnExit();
  }

  private ignoring(): boolean {
    return this.shutdownPromise !== undefined || this.internal.running;
  }

  private keep(error: unknown): void {
    this.keptError = error;
    this.hasKeptError = true;
    this.lastWriteError = error;
  }

  private report(error: unknown): void {
    this.keep(error);
    reportOnly(error);
  }

  private takeKeptError(): void {
    if (!this.hasKeptError) return;
    const error = this.keptError;
    this.keptError = undefined;
    this.hasKeptError = false;
    throw error;
  }

  private warnFailed(): void {
    const failed = this.failedSpans;
    if (failed === 0) return;
    const last = this.lastWriteError === undefined ? '' : `; last error: ${errorMessage(this.lastWriteError)}`;
    diag.warn(`SkeinSpanProcessor: ${failed} spans in total could not be written${last}`);
  }

  private warnDropped(atShutdown: boolean): void {
    const dropped = this.droppedSpans;
    if (atShutdown) {
      if (dropped > 0) diag.warn(`SkeinSpanProcessor: dropped ${dropped} spans in total because the queue was full (maxQueueSize ${this.maxQueueSize})`);
      return;
    }
    if (this.droppedReported === 0 && dropped > 0) {
      this.droppedReported = dropped;
      diag.warn(`SkeinSpanProcessor: dropped ${dropped} spans because the queue was full (maxQueueSize ${this.maxQueueSize}); further drops are counted in droppedSpans`);
    }
  }
}

/** `postgres://` or `postgresql://`: what `dbUrl` takes (as `isPostgresUrl`). */
const POSTGRES_URL = /^postgres(ql)?:\/\//i;

/** Exactly one place for the spans, of the right kind: a mistake in the code, thrown from the constructor. */
function checkDestination(options: SkeinSpanProcessorOptions): void {
  const { store, dbPath, dbUrl } = options;
  const given = [store, dbPath, dbUrl].filter((value) => value !== undefined).length;
  if (given > 1) throw new TypeError('SkeinSpanProcessor: pass either store, dbPath or dbUrl, not several');
  if (given === 0) throw new TypeError('SkeinSpanProcessor: a store or a dbPath (or a dbUrl) is required');
  if (dbUrl !== undefined && (typeof dbUrl !== 'string' || !POSTGRES_URL.test(dbUrl))) {
    throw new TypeError('SkeinSpanProcessor: dbUrl must be a postgres:// or postgresql:// URL (a SQLite file is dbPath)');
  }
  if (typeof dbPath === 'string' && POSTGRES_URL.test(dbPath)) {
    throw new TypeError('SkeinSpanProcessor: dbPath is a SQLite file; pass a PostgreSQL URL as dbUrl');
  }
}
