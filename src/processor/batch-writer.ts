import type { BudgetConfig, BudgetEventRecord } from '../model/budgets.js';
import type { RawSpan, SpanRecord } from '../model/types.js';

/**
 * Where the processor writes when given a `store`: `TraceStore.write`
 * (idempotent, resolves once durable), optionally a `writeSync` that commits
 * a batch without yielding (needed to flush on process exit). A `writeSync`
 * that takes `{ budgets }` and returns the crossings it recorded
 * (`SqliteTraceStore`) also evaluates budgets.
 *
 * `R` is what a batch holds: normalized records for a store, raw spans for
 * a sink whose commit normalizes them itself (`PgSpanSink`).
 */
export interface WritableStore<R = SpanRecord> {
  write(spans: readonly R[]): Promise<void>;
  writeSync?: (spans: readonly R[], options?: { budgets?: BudgetConfig }) => unknown;
}

export interface BatchWriterOptions<R = SpanRecord> {
  store: WritableStore<R>;
  /** Applied when a batch is taken, so an open record replaced before the flush is never normalized. */
  normalize: (raw: RawSpan) => R;
  maxBatchSize: number;
  maxQueueSize: number;
  /** Called for every failed normalization or write; the writer itself never throws from `enqueue`. */
  onError: (error: unknown) => void;
  /** Runs the writer's own work (e.g. with tracing suppressed). */
  runInternal: <T>(fn: () => T) => T;
  /** Passed to `writeSync`; the crossings it returns go to `onBudget`. */
  budgets?: BudgetConfig;
  onBudget?: (crossings: BudgetEventRecord[]) => void;
}

/**
 * Queues span snapshots and writes them in batches, one store call (one
 * transaction) per batch of at most `maxBatchSize`, normalizing each batch as
 * it is taken.
 *
 * The queue is keyed by span: an open snapshot still waiting when its ended
 * one arrives is replaced in place, so a step that starts and ends between
 * two flushes costs one normalization, one row write and one queue slot.
 */
export class BatchWriter<R = SpanRecord> {
  private readonly store: WritableStore<R>;
  private readonly normalize: (raw: RawSpan) => R;
  private readonly maxBatchSize: number;
  private readonly maxQueueSize: number;
  private readonly openLimit: number;
  private readonly onError: (error: unknown) => void;
  private readonly runInternal: <T>(fn: () => T) => T;
  private readonly budgets: BudgetConfig | undefined;
  private readonly onBudget: ((crossings: BudgetEventRecord[]) => void) | undefined;
  private queue = new Map<string, RawSpan>();
  private chain: Promise<void> = Promise.resolve();
  private dropped = 0;
  private failed = 0;

  constructor(options: BatchWriterOptions<R>) {
    this.store = options.store;
    this.normalize = options.normalize;
    this.maxBatchSize = options.maxBatchSize;
    this.maxQueueSize = options.maxQueueSize;
    this.openLimit = Math.max(1, Math.floor(options.maxQueueSize / 2));
    this.onError = options.onError;
    this.runInternal = options.runInternal;
    this.budgets = options.budgets;
    this.onBudget = options.onBudget;
  }

  get size(): number {
    return this.queue.size;
  }

  /** Ended spans refused because the queue was full. */
  get droppedCount(): number {
    return this.dropped;
  }

  /** Records lost because they could not be normalized or the store failed to write their batch. */
  get failedCount(): number {
    return this.failed;
  }

  get canWriteSync(): boolean {
    return typeof this.store.writeSync === 'function';
  }

  /**
   * Returns false when the record was not queued. Under pressure open records
   * go first: past half the queue only ended records are taken, because an
   * ended record is the span itself while an open one only shows it running.
   * Only ended records refused count as dropped spans.
   */
  enqueue(record: RawSpan): boolean {
    const key = record.traceId + record.spanId;
    const queued = this.queue.get(key);
    if (queued !== undefined) {
      // Never let a late open record hide the ended one.
      if (record.endTimeUnixNano !== null || queued.endTimeUnixNano === null) this.queue.set(key, record);
      return true;
    }
    if (record.endTimeUnixNano === null) {
      if (this.queue.size >= this.openLimit) return false;
    } else if (this.queue.size >= this.maxQueueSize) {
      this.dropped++;
      return false;
    }
    this.queue.set(key, record);
    return true;
  }

  /**
   * Writes everything queued now, after any write already in progress. Never
   * rejects: failures go to `onError`.
   */
  flush(): Promise<void> {
    const next = this.chain.then(() => this.drain());
    this.chain = next;
    return next;
  }

  /**
   * Writes everything queued before returning, for process exit where nothing
   * asynchronous will run again. Only possible with a `writeSync` store.
   */
  flushSync(): void {
    const writeSync = this.store.writeSync;
    if (writeSync === undefined) return;
    for (let rounds = this.batchesQueued(); rounds > 0 && this.queue.size > 0; rounds--) {
      const batch = this.takeBatch();
      if (batch.length > 0) this.writeBatchSync(writeSync, batch);
    }
  }

  // A flush writes what was queued when it began: spans queued meanwhile wait
  // for the next one, so a store that somehow produces spans cannot loop it.
  private batchesQueued(): number {
    return Math.ceil(this.queue.size / this.maxBatchSize);
  }

  private takeBatch(): R[] {
    const batch: R[] = [];
    let taken = 0;
    for (const [key, raw] of this.queue) {
      this.queue.delete(key);
      try {
        batch.push(this.normalize(raw));
      } catch (error) {
        this.failed++;
        this.onError(error);
      }
      if (++taken >= this.maxBatchSize) break;
    }
    return batch;
  }

  private writeBatchSync(writeSync: NonNullable<WritableStore<R>['writeSync']>, batch: R[]): void {
    const budgets = this.budgets;
    let written: unknown;
    try {
      written = this.runInternal(() => (budgets === undefined ? writeSync.call(this.store, batch) : writeSync.call(this.store, batch, { budgets })));
    } catch (error) {
      this.failed += batch.length;
      this.onError(error);
      return;
    }
    if (budgets !== undefined && Array.isArray(written) && written.length > 0) this.onBudget?.(written as BudgetEventRecord[]);
  }

  private async drain(): Promise<void> {
    const writeSync = this.store.writeSync;
    for (let rounds = this.batchesQueued(); rounds > 0 && this.queue.size > 0; rounds--) {
      const batch = this.takeBatch();
      if (batch.length === 0) continue;
      if (writeSync !== undefined) {
        this.writeBatchSync(writeSync, batch);
        continue;
      }
      try {
        await this.runInternal(() => this.store.write(batch));
      } catch (error) {
        this.failed += batch.length;
        this.onError(error);
      }
    }
  }
}
