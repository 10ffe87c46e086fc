import { diag } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { BudgetConfig, BudgetEventRecord } from '../model/budgets.js';
import type { RawSpan, SpanRecord } from '../model/types.js';
import { BatchWriter } from './batch-writer.js';
import type { WritableStore } from './batch-writer.js';
import { readableSpanToRaw } from './readable-span-to-raw.js';
import type { SpanSink } from './span-sink.js';

/** A store the processor may have opened itself, and then closes. */
export type ClosableStore = WritableStore & { close?: () => Promise<void>; closeSync?: () => void };

export interface InThreadSpanSinkOptions {
  store: ClosableStore;
  /** The processor opened the store: the sink closes it (on shutdown, or at exit). */
  ownsStore: boolean;
  normalize: (raw: RawSpan) => SpanRecord;
  maxBatchSize: number;
  maxQueueSize: number;
  onError: (error: unknown) => void;
  /** Runs the sink's own work with tracing suppressed (a store's spans are not recorded). */
  runInternal: <T>(fn: () => T) => T;
  budgets?: BudgetConfig;
  onBudget?: (crossings: BudgetEventRecord[]) => void;
}

/**
 * Spans converted, normalized and written on the app's thread (`BatchWriter`):
 * for a store given in code, and for a price table object, which cannot
 * cross to a writer thread.
 */
export class InThreadSpanSink implements SpanSink {
  private readonly writer: BatchWriter;
  private readonly store: ClosableStore;
  private readonly ownsStore: boolean;
  private readonly runInternal: <T>(fn: () => T) => T;

  constructor(options: InThreadSpanSinkOptions) {
    const { store, ownsStore, runInternal } = options;
    this.store = store;
    this.ownsStore = ownsStore;
    this.runInternal = runInternal;
    this.writer = new BatchWriter({
      store,
      normalize: options.normalize,
      maxBatchSize: options.maxBatchSize,
      maxQueueSize: options.maxQueueSize,
      onError: options.onError,
      runInternal,
      budgets: options.budgets,
      onBudget: options.onBudget,
    });
  }

  get size(): number {
    return this.writer.size;
  }

  get droppedCount(): number {
    return this.writer.droppedCount;
  }

  get failedCount(): number {
    return this.writer.failedCount;
  }

  enqueue(span: ReadableSpan, ended: boolean): boolean {
    return this.writer.enqueue(readableSpanToRaw(span, !ended));
  }

  flushInBackground(): void {
    void this.writer.flush();
  }

  flush(): Promise<void> {
    return this.writer.flush();
  }

  flushOnExit(): void {
    const writer = this.writer;
    if (!writer.canWriteSync) {
      if (writer.size > 0) diag.warn(`SkeinSpanProcessor: ${writer.size} spans not written at exit (the store has no writeSync)`);
      return;
    }
    writer.flushSync();
    // A store it opened is released here: nothing else will close it, and its open steps will never end.
    if (this.ownsStore) this.runInternal(() => this.store.closeSync?.());
  }

  async close(): Promise<void> {
    if (this.ownsStore && this.store.close !== undefined) await this.store.close();
  }
}
