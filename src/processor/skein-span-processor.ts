import { AsyncLocalStorage } from 'node:async_hooks';
import { isAbsolute, resolve } from 'node:path';
import { context, diag } from '@opentelemetry/api';
import type { Context } from '@opentelemetry/api';
import { ExportResultCode, globalErrorHandler, suppressTracing } from '@opentelemetry/core';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan, Span, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { BudgetConfig, BudgetCrossing, BudgetEventRecord } from '../model/budgets.js';
import { createRedactingNormalizer } from '../model/normalize.js';
import { numberOption, optionalNumberOption } from '../model/option-values.js';
import type { PriceTable } from '../model/pricing.js';
import type { RedactionOptions } from '../model/redaction/redactor.js';
import { DatabaseOpenError } from '../store/errors.js';
import { openWritableStore, prepareDatabasePath } from '../store/sqlite/database-file.js';
import { BatchWriter } from './batch-writer.js';
import { BudgetMonitor } from './budget-monitor.js';
import type { WritableStore } from './batch-writer.js';
import { addBeforeExitHook, addExitHook, removeBeforeExitHook, removeExitHook } from './exit-hooks.js';
import { readableSpanToRaw } from './readable-span-to-raw.js';
import { resolveProcessorSettings } from './processor-settings.js';
import { redactingExporter } from './redacting-exporter.js';
import { WorkerWriter } from './worker-writer.js';

export interface SkeinSpanProcessorOptions {
  /** Where spans go. A store with `writeSync` can also be flushed on process exit. */
  store?: WritableStore;
  /**
   * Opens a SQLite store at this path; the processor owns it and closes it on
   * shutdown. Spans are normalized and written on a worker thread, so the
   * app's thread only pays for a snapshot per span — unless `prices` is
   * given: a price table object cannot cross threads, so then everything
   * runs on the app's thread as with `store`.
   */
  dbPath?: string;
  /** Spans per write (one transaction each). Default 512. */
  maxBatchSize?: number;
  /** Longest a queued span waits before it is written. Default 200. */
  flushIntervalMillis?: number;
  /**
   * Spans held while waiting to be written. Past half of it steps are no longer
   * recorded at start (only at end); when full, ended spans are dropped and
   * counted. Default 10 000.
   */
  maxQueueSize?: number;
  /** Text values (content, attributes) are cut to this many characters, original length kept. */
  maxTextLength?: number;
  /** Prices used to compute cost when a span does not carry it. */
  prices?: PriceTable;
  /**
   * Ended spans are also exported here, through the SDK's own
   * `BatchSpanProcessor`. A failed export is reported to the OTel error
   * handler and counted (`forwardFailedSpans`); it never rejects
   * `forceFlush()` or `shutdown()`. When the event loop drains without
   * `shutdown()` (`beforeExit`), what is queued is exported once more,
   * within the exporter's own timeout; a `process.exit()` or a signal cannot
   * wait for the network, so spans not yet exported then are only in the
   * database.
   */
  forward?: SpanExporter;
  /**
   * Secrets removed before spans are stored or forwarded (API keys, tokens,
   * private keys, card numbers, values of denied keys). On by default;
   * `{ enabled: false }` turns it off.
   */
  redaction?: RedactionOptions;
  /**
   * Limits per session (and per agent name, per user id), evaluated where the
   * rollups are: in the write transaction, after each batch (on the writer
   * thread with `dbPath`). Needs `dbPath` or a store whose `writeSync`
   * evaluates them (`SqliteTraceStore`). See README *Budgets*.
   */
  budgets?: BudgetConfig;
  /**
   * Called on the app's thread, once per crossing this processor's writes
   * recorded, after its commit. What it throws goes to the OTel error handler.
   */
  onBudget?: (crossing: BudgetEventRecord) => void;
  /**
   * With an `AgentTracer` given this processor (`budgets: processor`), a model
   * call in a session over a limit throws `BudgetExceededError` instead of
   * starting. It lags by the flush interval: a session is known to be over
   * once the batch that crossed is committed (`forceFlush()` makes it so).
   */
  enforce?: boolean;
  /**
   * A `skein.config.json`: its `budgets`, `redaction` and `prices` apply
   * unless the same option is given here. Read and checked in the constructor.
   */
  configFile?: string;
}

/**
 * Records every span in a Skein store: `onStart` queues the open step,
 * `onEnd` queues it completed. Neither does I/O nor throws; writes happen in
 * batches after the span calls return (on size, on a short unref'd timer, on
 * `forceFlush`, `shutdown` and process exit). With `dbPath` the batches are
 * written by a worker thread (see WorkerWriter); `forceFlush` resolves once
 * it has committed everything queued before the call.
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
  private readonly store: (WritableStore & { close?: () => Promise<void>; closeSync?: () => void }) | undefined;
  private readonly ownsStore: boolean;
  /** Exactly one of writer (this thread) and threadWriter (a worker) is set. */
  private readonly writer: BatchWriter | undefined;
  private readonly threadWriter: WorkerWriter | undefined;
  private readonly maxBatchSize: number;
  private readonly flushIntervalMillis: number;
  private readonly maxQueueSize: number;
  private readonly forwarder: BatchSpanProcessor | undefined;
  private readonly exitHook = (): void => this.flushOnExit();
  private readonly beforeExitHook = (): void => this.forwardBeforeExit();
  /** Spans handed to the forwarder since the last `beforeExit` flush. */
  private forwardedSinceExitFlush = 0;
  private forwardFailed = 0;
  private timer: NodeJS.Timeout | undefined;
  private sizeFlushScheduled = false;
  /** > 0 while the processor's own synchronous work runs: spans started then are its own. */
  private internalDepth = 0;
  /**
   * Marks the asynchronous continuation of a store's `write` as the processor's
   * own work even when no OTel context manager propagates `suppressTracing`.
   * Only created for stores without `writeSync`: AsyncLocalStorage turns on
   * promise hooks for the whole process on Node 20.
   */
  private readonly ownAsyncWork: AsyncLocalStorage<true> | undefined;
  private keptError: unknown = undefined;
  /** The last write failure, kept for the warning at shutdown after forceFlush() took keptError. */
  private lastWriteError: unknown = undefined;
  private hasKeptError = false;
  private droppedReported = 0;
  /** Records lost before reaching a writer: a span that could not be converted, or every ended span when dbPath could not be opened. */
  private conversionFailures = 0;
  /** dbPath could not be opened: no writer; ended spans are counted as failed. */
  private readonly unopened: boolean;
  private shutdownPromise: Promise<void> | undefined;
  private readonly budgetMonitor: BudgetMonitor;
  private readonly enforce: boolean;

  /**
   * Throws only for options that are wrong in the code (a bad number, both or
   * neither of store and dbPath, an invalid config file, budget or redaction
   * pattern). A `dbPath` that cannot be opened is not one: it is reported to
   * the OTel error handler, naming the path, and raised by the next
   * `forceFlush()`; spans are then counted in `failedSpans`.
   */
  constructor(options: SkeinSpanProcessorOptions) {
    const { store, dbPath, forward } = options;
    if (store !== undefined && dbPath !== undefined) throw new TypeError('SkeinSpanProcessor: pass either store or dbPath, not both');
    if (store === undefined && dbPath === undefined) throw new TypeError('SkeinSpanProcessor: a store or a dbPath is required');
    const maxBatchSize = numberOption(OWNER, 'maxBatchSize', options.maxBatchSize, 512, { min: 1, integer: true });
    const maxQueueSize = numberOption(OWNER, 'maxQueueSize', options.maxQueueSize, 10_000, { min: 1, integer: true });
    const flushIntervalMillis = numberOption(OWNER, 'flushIntervalMillis', options.flushIntervalMillis, 200, {
      min: 0,
      max: MAX_TIMER_MILLIS,
    });
    const maxTextLength = optionalNumberOption(OWNER, 'maxTextLength', options.maxTextLength, {
      min: 1,
      max: Number.MAX_SAFE_INTEGER,
      integer: true,
    });
    // Before a store is opened: a bad config file, budget or redaction pattern fails here.
    const { redaction, prices, budgets, pricesFile } = resolveProcessorSettings(options);
    this.budgetMonitor = new BudgetMonitor({ onBudget: options.onBudget, onError: (error) => reportOnly(error) });
    this.enforce = options.enforce ?? false;
    const onBudget = (crossings: BudgetEventRecord[]): void => this.budgetMonitor.record(crossings);
    // Validates maxTextLength and the redaction patterns: before a store is opened that would then leak.
    const { redactor, normalize } = createRedactingNormalizer({ redaction, maxTextLength, prices });
    this.maxBatchSize = maxBatchSize;
    this.flushIntervalMillis = flushIntervalMillis;
    this.maxQueueSize = maxQueueSize;
    this.ownsStore = store === undefined;
    // A config file's prices reach the writer thread as the file's path; a table given in code cannot.
    if (dbPath !== undefined && options.prices === undefined) {
      this.threadWriter = this.opening(dbPath, () =>
        new WorkerWriter({
          dbPath,
          maxTextLength,
          redaction,
          maxBatchSize,
          maxQueueSize,
          normalize,
          onError: (error) => this.report(error),
          budgets,
          configFile: pricesFile,
          onBudget,
        }),
      );
    } else {
      this.store = store ?? this.opening(dbPath as string, () => openWritableStore({ path: dbPath as string }));
      if (this.store !== undefined) {
        this.writer = new BatchWriter({
          store: this.store,
          normalize,
          maxBatchSize,
          maxQueueSize,
          onError: (error) => this.report(error),
          runInternal: (fn) => this.runInternal(fn),
          budgets,
          onBudget,
        });
      }
    }
    this.ownAsyncWork = this.writer === undefined || this.writer.canWriteSync ? undefined : new AsyncLocalStorage<true>();
    this.unopened = this.writer === undefined && this.threadWriter === undefined;
    this.forwarder = forward === undefined ? undefined : new BatchSpanProcessor(this.reportingFailures(redactingExporter(forward, redactor)));
    addExitHook(this.exitHook);
    if (this.forwarder !== undefined) addBeforeExitHook(this.beforeExitHook);
  }

  /** Ended spans refused because the queue was full: lost. */
  get droppedSpans(): number {
    return (this.writer ?? this.threadWriter)?.droppedCount ?? 0;
  }

  /** Span records (open or ended) lost because converting them or writing their batch failed. */
  get failedSpans(): number {
    return ((this.writer ?? this.threadWriter)?.failedCount ?? 0) + this.conversionFailures;
  }

  /** Spans the `forward` exporter failed to export (the upstream down, refused, timed out): not forwarded, still stored. */
  get forwardFailedSpans(): number {
    return this.forwardFailed;
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
    if (this.ignoring() || this.unopened) return;
    this.record(span, true);
  }

  onEnd(span: ReadableSpan): void {
    if (this.ignoring()) return;
    if (this.unopened) this.conversionFailures++;
    else this.record(span, false);
    if (this.forwarder !== undefined) {
      const forwarder = this.forwarder;
      this.forwardedSinceExitFlush++;
      try {
        this.runInternal(() => forwarder.onEnd(span));
      } catch (error) {
        reportOnly(error);
      }
    }
  }

  async forceFlush(): Promise<void> {
    if (this.shutdownPromise !== undefined) {
      // After shutdown there is nothing left to flush; its own failure is reported by shutdown().
      await this.shutdownPromise.catch(() => undefined);
      return;
    }
    await this.flushNow();
    await this.flushForwarder();
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
    removeBeforeExitHook(this.beforeExitHook);
    await this.flushNow();
    if (this.forwarder !== undefined) {
      try {
        await this.forwarder.shutdown();
      } catch (error) {
        reportOnly(forwardingError('shutting down', error));
      }
    }
    if (this.threadWriter !== undefined) {
      try {
        await this.threadWriter.close();
      } catch (error) {
        reportOnly(error);
      }
    }
    if (this.ownsStore && this.store?.close !== undefined) {
      try {
        await this.store.close();
      } catch (error) {
        reportOnly(error);
      }
    }
    this.warnDropped(true);
    this.warnFailed();
    this.keptError = undefined;
    this.hasKeptError = false;
  }

  /** Never rejects: a forwarding failure is reported and counted, not the app's to handle. */
  private async flushForwarder(): Promise<void> {
    if (this.forwarder === undefined) return;
    try {
      await this.forwarder.forceFlush();
    } catch (error) {
      // Only what the exporter wrapper did not see (the SDK's own export timeout).
      reportOnly(forwardingError('flushing', error));
    }
  }

  /**
   * The event loop drained without shutdown(): export what is queued for
   * forwarding now, while the process can still wait for the network (the
   * pending request keeps it alive, within the exporter's timeout). Once per
   * drain that has new spans, so the hook cannot keep the process alive.
   */
  private forwardBeforeExit(): void {
    if (this.shutdownPromise !== undefined || this.forwardedSinceExitFlush === 0) return;
    this.forwardedSinceExitFlush = 0;
    void this.flushForwarder();
  }

  /**
   * Failed exports are counted and reported here, once each, then answered
   * as done: the SDK's batch processor would otherwise report a failure on
   * its timer a second time, or reject the app's forceFlush()/shutdown().
   */
  private reportingFailures(exporter: SpanExporter): SpanExporter {
    const failed = (count: number, error: unknown): void => {
      this.forwardFailed += count;
      reportOnly(forwardingError(`exporting ${count} spans`, error));
    };
    return {
      export: (spans, resultCallback) => {
        try {
          exporter.export(spans, (result) => {
            if (result.code !== ExportResultCode.SUCCESS) failed(spans.length, result.error);
            resultCallback({ code: ExportResultCode.SUCCESS });
          });
        } catch (error) {
          failed(spans.length, error);
          resultCallback({ code: ExportResultCode.SUCCESS });
        }
      },
      shutdown: () => exporter.shutdown(),
      forceFlush: () => exporter.forceFlush?.() ?? Promise.resolve(),
    };
  }

  private record(span: ReadableSpan, open: boolean): void {
    let accepted: boolean;
    let queued: number;
    try {
      if (this.threadWriter !== undefined) {
        // An open span: only a reference, encoded with its batch (as it is
        // then). An ended one: encoded now, copied once per batch.
        accepted = this.threadWriter.enqueue(span, !open);
        queued = this.threadWriter.size;
      } else {
        const writer = this.writer as BatchWriter;
        accepted = writer.enqueue(readableSpanToRaw(span, open));
        queued = writer.size;
      }
    } catch (error) {
      this.conversionFailures++;
      this.report(error);
      return;
    }
    if (!accepted) return;
    if (queued >= this.maxBatchSize) this.scheduleSizeFlush();
    else if (this.timer === undefined) this.scheduleTimerFlush();
  }

  // The write never happens inside onStart/onEnd: the app's span call returns first.
  private scheduleSizeFlush(): void {
    if (this.sizeFlushScheduled) return;
    this.sizeFlushScheduled = true;
    setImmediate(() => {
      this.sizeFlushScheduled = false;
      this.flushInBackground();
    }).unref();
  }

  private scheduleTimerFlush(): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flushInBackground();
    }, this.flushIntervalMillis);
    this.timer.unref();
  }

  // Nobody waits for the worker's answer here: only forceFlush and shutdown do.
  private flushInBackground(): void {
    if (this.threadWriter === undefined) {
      void this.flushNow();
      return;
    }
    this.clearTimer();
    this.threadWriter.postQueued();
    this.warnDropped(false);
  }

  private clearTimer(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  private flushNow(): Promise<void> {
    this.clearTimer();
    const writer = this.writer ?? this.threadWriter;
    if (writer === undefined) return Promise.resolve();
    const flushed = writer.flush();
    this.warnDropped(false);
    return flushed;
  }

  private flushOnExit(): void {
    if (this.shutdownPromise !== undefined) return;
    if (this.threadWriter !== undefined) {
      this.threadWriter.flushSync();
      return;
    }
    const writer = this.writer;
    if (writer === undefined) return;
    if (!writer.canWriteSync) {
      if (writer.size > 0) diag.warn(`SkeinSpanProcessor: ${writer.size} spans not written at exit (the store has no writeSync)`);
      return;
    }
    writer.flushSync();
    // A store it opened is released here: nothing else will close it, and its open steps will never end.
    if (this.ownsStore) this.runInternal(() => this.store?.closeSync?.());
  }

  /**
   * Creates dbPath's directory (as `skein serve` does) and opens it. A
   * failure is reported and kept, with the path and the reason, instead of
   * thrown: the app runs on, its spans counted as failed.
   */
  private opening<T>(dbPath: string, open: () => T): T | undefined {
    try {
      if (dbPath !== ':memory:') prepareDatabasePath(dbPath);
      return open();
    } catch (cause) {
      const reason = cause instanceof DatabaseOpenError ? cause.reason : errorMessage(cause);
      const shown = isAbsolute(dbPath) ? dbPath : `${dbPath} (${resolve(dbPath)})`;
      this.report(new Error(`SkeinSpanProcessor: cannot open the database ${shown}: ${reason}; spans will not be stored`, { cause }));
      return undefined;
    }
  }

  private ignoring(): boolean {
    return this.shutdownPromise !== undefined || this.internalDepth > 0 || this.ownAsyncWork?.getStore() === true;
  }

  private runInternal<T>(fn: () => T): T {
    this.internalDepth++;
    try {
      const suppressed = (): T => context.with(suppressTracing(context.active()), fn);
      return this.ownAsyncWork === undefined ? suppressed() : this.ownAsyncWork.run(true, suppressed);
    } finally {
      this.internalDepth--;
    }
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

/** setTimeout runs a longer delay after 1 ms. */
const MAX_TIMER_MILLIS = 2 ** 31 - 1;
const OWNER = 'SkeinSpanProcessor';

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function forwardingError(doing: string, cause: unknown): Error {
  return new Error(`SkeinSpanProcessor: forwarding failed (${doing}): ${cause === undefined ? 'no reason given' : errorMessage(cause)}`, {
    cause,
  });
}

/** To the OTel error handler only: for failures that are not the app's to handle (its own callback, forwarding, shutdown). */
function reportOnly(error: unknown): void {
  try {
    globalErrorHandler(error as Error);
  } catch {
    // A throwing error handler must not turn into a throw in the app.
  }
}
