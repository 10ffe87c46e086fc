import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';

/**
 * Where `SkeinSpanProcessor` puts its spans: a queue in front of a store,
 * written in batches. The processor decides when a batch goes (size, timer,
 * `forceFlush`, `shutdown`, process exit); the sink decides how and where it
 * is written (`InThreadSpanSink` on the app's thread, `WorkerSpanSink` on a
 * writer thread, `PgSpanSink` as PostgreSQL commits, `UnopenedSpanSink`
 * nowhere, its store not opened).
 *
 * Only `enqueue` may throw (a span it cannot convert) and only `close` may
 * reject; every other failure goes to the `onError` the sink was made with,
 * and the records lost are counted in `failedCount`.
 */
export interface SpanSink {
  /** Spans waiting for the next batch (for the size-driven flush). */
  readonly size: number;
  /** Ended spans refused because the queue was full: lost. */
  readonly droppedCount: number;
  /** Span records (open or ended) lost because converting them or writing their batch failed. */
  readonly failedCount: number;
  /**
   * Queues the span: open (as it is when its batch is taken) or ended.
   * False when it was not queued (the queue under pressure, or nowhere to
   * write). Synchronous and cheap: it runs inside the app's span calls.
   */
  enqueue(span: ReadableSpan, ended: boolean): boolean;
  /** Starts writing what is queued; nobody waits for it (size- and timer-driven flushes). */
  flushInBackground(): void;
  /** Writes everything queued now; resolves once it is committed. Never rejects. */
  flush(): Promise<void>;
  /** At process exit, where nothing asynchronous runs again: writes what it can before returning, and lets go of its store. */
  flushOnExit(): void;
  /** After the last `flush()`: writes anything left and releases what the sink opened. */
  close(): Promise<void>;
}
