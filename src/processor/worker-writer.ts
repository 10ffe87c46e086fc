import { Worker } from 'node:worker_threads';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { BudgetConfig, BudgetEventRecord } from '../model/budgets.js';
import type { RedactionOptions } from '../model/redaction/redactor.js';
import type { RawSpan, SpanRecord } from '../model/types.js';
import { SqliteTraceStore } from '../store/sqlite/sqlite-trace-store.js';
import { decodeSpanBatch } from '../ingest/span-batch-decoder.js';
import { SpanBatchEncoder, withPlainValues } from './span-batch-encoder.js';
import type { EncodedBatch } from './span-batch-encoder.js';
import { fromWire } from './worker-protocol.js';
import { fromSources, workerScript } from '../model/worker-script.js';
import type { FromWorker, ToWorker, WriterThreadData } from './worker-protocol.js';

export interface WorkerWriterOptions {
  dbPath: string;
  maxTextLength?: number;
  redaction?: RedactionOptions;
  maxBatchSize: number;
  /** Spans queued here plus spans posted and not yet committed by the writer thread. */
  maxQueueSize: number;
  /** The same normalization as the writer thread's, for batches written on this thread (exit, a dead worker). */
  normalize: (raw: RawSpan) => SpanRecord;
  onError: (error: unknown) => void;
  /** Evaluated by the writer thread in each write transaction (and here, for batches written here). */
  budgets?: BudgetConfig;
  /** Passed to the writer thread, which reads its prices from it. */
  configFile?: string;
  /** The crossings a committed batch recorded. */
  onBudget?: (crossings: BudgetEventRecord[]) => void;
}

/**
 * Writes spans from a worker thread: the app thread encodes each ended span
 * flat as it ends (SpanBatchEncoder: numbers and references, no copy), keeps
 * a reference to each open one, and once per batch posts (postMessage's
 * structured clone is the copy); the worker decodes, normalizes, redacts and
 * commits.
 *
 * Batches the worker has not acknowledged stay here, so that at process exit,
 * when nothing asynchronous runs again and the worker is about to be torn
 * down, they are written on this thread through a second connection to the
 * same file. Writes are idempotent per span, so a batch the worker had
 * committed after all is merely written twice. The same path takes over if
 * the worker dies.
 */
export class WorkerWriter {
  private readonly options: WorkerWriterOptions;
  private readonly openLimit: number;
  /**
   * Spans started since the last batch and not ended: their open record is
   * taken with the batch, as they are then. An ended span is encoded at once
   * (in onEnd, while the SDK has just touched it: an ended span no longer
   * changes), and leaves this set, so a step that starts and ends between
   * two batches is one record.
   */
  private readonly open = new Set<ReadableSpan>();
  /** Batches of ended spans that reached maxBatchSize, not yet posted. */
  private readonly full: EncodedBatch[] = [];
  private fullSpans = 0;
  /**
   * Posted batches not yet acknowledged. They hold the spans' strings (not
   * the spans): serializing them to keep an off-heap copy instead costs the
   * app thread more than the garbage collector pays for keeping them.
   */
  private readonly inFlight = new Map<number, EncodedBatch>();
  private readonly encoder = new SpanBatchEncoder();
  private inFlightSpans = 0;
  private nextId = 1;
  private readonly worker: Worker;
  private workerAlive = true;
  private readonly waiters = new Map<number, () => void>();
  private closeWaiter: ((error: unknown) => void) | undefined;
  private here: SqliteTraceStore | undefined;
  private dropped = 0;
  private failed = 0;

  constructor(options: WorkerWriterOptions) {
    this.options = options;
    this.openLimit = Math.max(1, Math.floor(options.maxQueueSize / 2));
    // Opened here first: a bad path fails the constructor, the schema is
    // migrated before the worker opens it, and exit never has to open it.
    this.here = new SqliteTraceStore({ path: options.dbPath });
    const data: WriterThreadData = {
      dbPath: options.dbPath,
      maxTextLength: options.maxTextLength,
      redaction: options.redaction,
      budgets: options.budgets,
      configFile: options.configFile,
    };
    // execArgv is empty: inheriting the app's (an --import of its own
    // instrumentation) would start a tracer, and a processor, inside the worker.
    try {
      this.worker = new Worker(workerScript(import.meta.url, 'span-writer-worker'), {
        workerData: data,
        execArgv: [],
        eval: fromSources(import.meta.url),
      });
    } catch (error) {
      this.closeHere();
      throw error;
    }
    this.worker.on('message', (message: FromWorker) => this.onMessage(message));
    this.worker.on('error', (error) => this.workerGone(error));
    this.worker.on('exit', (code) => {
      if (this.workerAlive) this.workerGone(new Error(`SkeinSpanProcessor: the writer thread exited (code ${code})`));
    });
    // After the listeners: attaching a 'message' listener refs the worker again.
    this.worker.unref();
  }

  /** Spans waiting for the next post. */
  get size(): number {
    return this.open.size + this.encoder.size + this.fullSpans;
  }

  get droppedCount(): number {
    return this.dropped;
  }

  get failedCount(): number {
    return this.failed;
  }

  /** Same rules as BatchWriter.enqueue; spans posted and not yet committed count against the limit. */
  enqueue(span: ReadableSpan, ended: boolean): boolean {
    const held = this.size + this.inFlightSpans;
    if (!ended) {
      if (held >= this.openLimit) return false;
      this.open.add(span);
      return true;
    }
    // Its open record's slot: an ended span whose start was queued is never dropped.
    if (!this.open.delete(span) && held >= this.options.maxQueueSize) {
      this.dropped++;
      return false;
    }
    this.encoder.add(span, true);
    if (this.encoder.size >= this.options.maxBatchSize) this.finishBatch();
    return true;
  }

  /** Posts everything queued; resolves once the worker has committed it (and all posted before). Never rejects. */
  flush(): Promise<void> {
    this.postQueued();
    if (!this.workerAlive) return Promise.resolve();
    const id = this.nextId++;
    return new Promise<void>((resolve) => {
      this.waiters.set(id, resolve);
      // While someone waits, the worker keeps the process alive (an unsettled top-level await would exit).
      this.worker.ref();
      this.post({ type: 'flush', id });
    });
  }

  /** Posts what is queued without waiting (size- and timer-driven flushes). */
  postQueued(): void {
    for (const batch of this.takeBatches()) {
      if (!this.workerAlive) {
        this.writeHere([batch]);
        continue;
      }
      this.postBatch(this.nextId++, batch);
    }
  }

  /** At process exit: everything queued or unacknowledged, written on this thread before returning. */
  flushSync(): void {
    const batches = [...this.inFlight.values()];
    this.inFlight.clear();
    this.inFlightSpans = 0;
    batches.push(...this.takeBatches());
    this.writeHere(batches);
    this.closeHere();
  }

  /** Commits everything, stops the worker and closes both connections. */
  async close(): Promise<void> {
    await this.flush();
    if (this.workerAlive) {
      const closed = new Promise<unknown>((resolve) => {
        this.closeWaiter = resolve;
      });
      const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
      this.worker.ref();
      this.post({ type: 'close' });
      const error = await closed;
      this.workerAlive = false;
      await exited;
      if (error !== undefined) this.options.onError(error);
    }
    this.closeHere();
  }

  private finishBatch(): void {
    const batch = this.encoder.finish();
    this.full.push(batch);
    this.fullSpans += batch.spans;
  }

  /** Everything queued (the open spans as they are now), in batches of at most maxBatchSize. */
  private takeBatches(): EncodedBatch[] {
    for (const span of this.open) {
      try {
        this.encoder.add(span, false);
      } catch (error) {
        this.failed++;
        this.options.onError(error);
      }
      if (this.encoder.size >= this.options.maxBatchSize) this.finishBatch();
    }
    this.open.clear();
    if (this.encoder.size > 0) this.finishBatch();
    this.fullSpans = 0;
    return this.full.splice(0);
  }

  private postBatch(id: number, batch: EncodedBatch): void {
    // Copied by postMessage's structured clone: the original stays here until the worker acknowledges it.
    try {
      this.post({ type: 'write', id, batch });
    } catch {
      // An attribute value structured clone refuses (a function forced past the API's types): retry with plain values.
      try {
        this.post({ type: 'write', id, batch: withPlainValues(batch) });
      } catch (error) {
        this.failed += batch.spans;
        this.options.onError(error);
        return;
      }
    }
    this.inFlight.set(id, batch);
    this.inFlightSpans += batch.spans;
  }

  private post(message: ToWorker): void {
    this.worker.postMessage(message);
  }

  private onMessage(message: FromWorker): void {
    switch (message.type) {
      case 'written':
        this.settle(message.id, message.failed ?? 0, message.error === undefined ? undefined : fromWire(message.error));
        // Before the flush answer that follows it: a forceFlush() resolves with the crossings already known.
        if (message.budgets !== undefined) this.options.onBudget?.(message.budgets);
        break;
      case 'flushed':
        this.waiters.get(message.id)?.();
        this.waiters.delete(message.id);
        if (this.waiters.size === 0 && this.closeWaiter === undefined) this.worker.unref();
        break;
      case 'closed':
        this.closeWaiter?.(message.error === undefined ? undefined : fromWire(message.error));
        break;
    }
  }

  private settle(id: number, failed: number, error: unknown): void {
    const batch = this.inFlight.get(id);
    if (batch === undefined) return;
    this.inFlight.delete(id);
    this.inFlightSpans -= batch.spans;
    if (failed > 0) {
      this.failed += failed;
      this.options.onError(error);
    }
  }

  /** The worker failed: what it had not committed, and everything from now on, is written on this thread. */
  private workerGone(error: unknown): void {
    if (!this.workerAlive) return;
    this.workerAlive = false;
    this.options.onError(error);
    const batches = [...this.inFlight.values()];
    this.inFlight.clear();
    this.inFlightSpans = 0;
    this.writeHere(batches);
    for (const resolve of this.waiters.values()) resolve();
    this.waiters.clear();
    this.closeWaiter?.(undefined);
  }

  private writeHere(batches: EncodedBatch[]): void {
    for (const batch of batches) {
      let raws: RawSpan[];
      try {
        // Values as the worker would have had them: plain copies, not the app's objects.
        raws = decodeSpanBatch(batch.values.length === 0 ? batch : withPlainValues(batch));
      } catch (error) {
        this.failed += batch.spans;
        this.options.onError(error);
        continue;
      }
      const records: SpanRecord[] = [];
      for (const raw of raws) {
        try {
          records.push(this.options.normalize(raw));
        } catch (error) {
          this.failed++;
          this.options.onError(error);
        }
      }
      let crossings: BudgetEventRecord[] = [];
      try {
        this.here ??= new SqliteTraceStore({ path: this.options.dbPath });
        if (records.length > 0) crossings = this.here.writeSync(records, { budgets: this.options.budgets });
      } catch (error) {
        this.failed += records.length;
        this.options.onError(error);
      }
      if (crossings.length > 0) this.options.onBudget?.(crossings);
    }
  }

  private closeHere(): void {
    const here = this.here;
    this.here = undefined;
    try {
      here?.closeSync();
    } catch (error) {
      this.options.onError(error);
    }
  }
}
