import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { BudgetEventRecord } from '../model/budgets.js';
import type { EncodedBatch } from '../ingest/encoded-batch.js';
import { openIngestCommit } from '../ingest/ingest-commit.js';
import type { CommitOutcome, OpenedCommit } from '../ingest/ingest-commit.js';
import type { Ingest } from '../ingest/ingest-settings.js';
import { IngestWriterThread } from '../ingest/ingest-writer-thread.js';
import { decodeSpanBatch } from '../ingest/span-batch-decoder.js';
import { withPlainValues } from './plain-values.js';
import { SpanBatchEncoder } from './span-batch-encoder.js';

export interface WorkerWriterOptions {
  dbPath: string;
  /**
   * From `createIngest`: its settings cross to the writer thread, which
   * builds the same commit from them; batches written on this thread (exit,
   * a dead thread) go through it here. Its prices must cross threads (`crossesThreads`).
   */
  ingest: Ingest;
  maxBatchSize: number;
  /** Spans queued here plus spans posted and not yet committed by the writer thread. */
  maxQueueSize: number;
  onError: (error: unknown) => void;
  /** The crossings a committed batch recorded. */
  onBudget?: (crossings: BudgetEventRecord[]) => void;
}

/**
 * Writes spans from the ingest writer thread: the app thread encodes each
 * ended span flat as it ends (SpanBatchEncoder: numbers and references, no
 * copy), keeps a reference to each open one, and once per batch posts
 * (postMessage's structured clone is the copy); the thread decodes, redacts,
 * normalizes and commits.
 *
 * Batches the thread has not acknowledged stay here, so that at process exit,
 * when nothing asynchronous runs again and the thread is about to be torn
 * down, they are written on this thread through a second connection to the
 * same file and the same commit. Writes are idempotent per span, so a batch
 * the thread had committed after all is merely written twice. The same path
 * takes over if the thread dies.
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
  private readonly thread: IngestWriterThread;
  /** Flushes waiting for the thread: while there are any, it keeps the process alive. */
  private waiting = 0;
  private closing = false;
  private here: OpenedCommit | undefined;
  private dropped = 0;
  private failed = 0;

  constructor(options: WorkerWriterOptions) {
    this.options = options;
    this.openLimit = Math.max(1, Math.floor(options.maxQueueSize / 2));
    // Opened here first: a bad path fails the constructor, the schema is
    // migrated before the thread opens it, and exit never has to open it.
    this.here = openIngestCommit(options.dbPath, options.ingest);
    try {
      this.thread = new IngestWriterThread({
        dbPath: options.dbPath,
        settings: options.ingest.settings,
        owner: 'SkeinSpanProcessor',
        onError: (error) => this.threadGone(error),
      });
    } catch (error) {
      this.closeHere();
      throw error;
    }
    // Unacknowledged batches never hold the app open: the exit hook writes them (flushSync).
    this.thread.unref();
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

  /** Posts everything queued; resolves once the thread has committed it (and all posted before). Never rejects. */
  async flush(): Promise<void> {
    this.postQueued();
    if (!this.thread.alive) return;
    // While someone waits, the thread keeps the process alive (an unsettled top-level await would exit).
    this.waiting++;
    this.thread.ref();
    try {
      await this.thread.flush();
    } finally {
      this.waiting--;
      if (this.waiting === 0 && !this.closing) this.thread.unref();
    }
  }

  /** Posts what is queued without waiting (size- and timer-driven flushes). */
  postQueued(): void {
    for (const batch of this.takeBatches()) {
      if (this.thread.alive) this.postBatch(batch);
      else this.writeHere([batch]);
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

  /** Commits everything, stops the thread and closes both connections. */
  async close(): Promise<void> {
    await this.flush();
    this.closing = true;
    try {
      await this.thread.close();
    } catch (error) {
      this.options.onError(error);
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

  private postBatch(batch: EncodedBatch): void {
    // Copied by postMessage's structured clone: the original stays here until the thread acknowledges it.
    let answer: Promise<CommitOutcome>;
    try {
      answer = this.thread.commit(batch);
    } catch {
      // An attribute value structured clone refuses (a function forced past the API's types): retry with plain values.
      try {
        answer = this.thread.commit(withPlainValues(batch));
      } catch (error) {
        this.failed += batch.spans;
        this.options.onError(error);
        return;
      }
    }
    const id = this.nextId++;
    this.inFlight.set(id, batch);
    this.inFlightSpans += batch.spans;
    answer.then(
      (outcome) => this.settle(id, outcome),
      (error: unknown) => this.settleFailed(id, error),
    );
  }

  private settle(id: number, outcome: CommitOutcome): void {
    this.acknowledge(id);
    // Before the flush answer that follows it: a forceFlush() resolves with the crossings already known.
    if (outcome.crossings.length > 0) this.options.onBudget?.(outcome.crossings);
  }

  /** The thread's commit of the batch failed: its spans are lost (unless the thread died: then threadGone wrote them here). */
  private settleFailed(id: number, error: unknown): void {
    const batch = this.acknowledge(id);
    if (batch === undefined) return;
    this.failed += batch.spans;
    this.options.onError(error);
  }

  private acknowledge(id: number): EncodedBatch | undefined {
    const batch = this.inFlight.get(id);
    if (batch === undefined) return undefined;
    this.inFlight.delete(id);
    this.inFlightSpans -= batch.spans;
    return batch;
  }

  /** The thread failed: what it had not committed, and everything from now on, is written on this thread. */
  private threadGone(error: unknown): void {
    this.options.onError(error);
    const batches = [...this.inFlight.values()];
    this.inFlight.clear();
    this.inFlightSpans = 0;
    this.writeHere(batches);
  }

  private writeHere(batches: EncodedBatch[]): void {
    for (const batch of batches) {
      let outcome: CommitOutcome;
      try {
        // Values as the thread would have had them: plain copies, not the app's objects.
        const raws = decodeSpanBatch(batch.values.length === 0 ? batch : withPlainValues(batch));
        this.here ??= openIngestCommit(this.options.dbPath, this.options.ingest);
        outcome = this.here.commit(raws);
      } catch (error) {
        this.failed += batch.spans;
        this.options.onError(error);
        continue;
      }
      if (outcome.crossings.length > 0) this.options.onBudget?.(outcome.crossings);
    }
  }

  private closeHere(): void {
    const here = this.here;
    this.here = undefined;
    try {
      here?.close();
    } catch (error) {
      this.options.onError(error);
    }
  }
}
