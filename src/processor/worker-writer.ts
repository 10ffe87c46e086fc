import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { BudgetEventRecord } from '../model/budgets.js';
import { openIngestCommit } from '../ingest/ingest-commit.js';
import type { OpenedCommit } from '../ingest/ingest-commit.js';
import type { Ingest } from '../ingest/ingest-settings.js';
import { receivedFrom } from '../ingest/ingest-writer-protocol.js';
import type { RejectedSpans, WriterOutcome } from '../ingest/ingest-writer-protocol.js';
import { IngestWriterThread } from '../ingest/ingest-writer-thread.js';
import { SpanProtobufEncoder } from './span-protobuf-encoder.js';

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
 * A batch: an OTLP trace request (protobuf). Once posted its bytes are the
 * thread's (transferred); `kept` is this thread's copy until the thread
 * answers, to write the batch here after all (exit, a dead thread).
 */
interface Batch {
  request: Uint8Array;
  kept: Uint8Array | undefined;
  spans: number;
}

/** Batches posted and not yet answered, at most: the rest wait here, ready. */
const MAX_IN_FLIGHT = 2;
const MAX_KEPT_BUFFERS = 4;
const MAX_KEPT_BYTES = 16 << 20;
const MIN_KEPT_BYTES = 1 << 16;

/** A power of two: a batch a little larger than the last still fits in its buffer. */
function roomFor(size: number): number {
  let room = MIN_KEPT_BYTES;
  while (room < size) room *= 2;
  return room;
}

/**
 * Writes spans from the ingest writer thread: the app thread encodes each
 * ended span as it ends into the batch's OTLP protobuf request
 * (SpanProtobufEncoder), keeps a reference to each open one, and once per
 * batch posts the request's bytes, transferred, not copied; the thread
 * decodes them with the collector's decoder, redacts, normalizes and
 * commits, and gives the buffer back for a later batch.
 *
 * Batches the thread has not acknowledged stay here (a copy of their bytes,
 * off the heap: keeping the spans instead costs the app thread more in
 * garbage collection than the copy costs), so that at process exit, when nothing asynchronous runs again and the thread is
 * about to be torn down, they are written on this thread through a second
 * connection to the same file and the same commit. Writes are idempotent per
 * span, so a batch the thread had committed after all is merely written
 * twice. The same path takes over if the thread dies.
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
  /** Batches finished (full, or taken by a flush) and not yet posted. */
  private readonly ready: Batch[] = [];
  private readySpans = 0;
  /** Batches finished and posted (or written here) so far: a flush waits until `posted` reaches what was `finished` when it began. */
  private finished = 0;
  private posted = 0;
  private readonly wakeUps: (() => void)[] = [];
  /** Posted batches not yet acknowledged. */
  private readonly inFlight = new Map<number, Batch>();
  private readonly encoder = new SpanProtobufEncoder();
  /** Buffers of copies no longer needed (their batch answered), for the next copies. */
  private readonly keptPool: ArrayBuffer[] = [];
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
        onBuffer: (buffer) => this.encoder.recycle(buffer),
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
    return this.open.size + this.encoder.size + this.readySpans;
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
    const target = this.finished;
    // While someone waits, the thread keeps the process alive (an unsettled top-level await would exit).
    this.waiting++;
    this.thread.ref();
    try {
      // Batches held back by the in-flight limit are posted as answers come in.
      while (this.posted < target && this.thread.alive) await new Promise<void>((resolve) => this.wakeUps.push(resolve));
      await this.thread.flush();
    } finally {
      this.waiting--;
      if (this.waiting === 0 && !this.closing) this.thread.unref();
    }
  }

  /** Posts what is queued without waiting (size- and timer-driven flushes), as far as the in-flight limit allows. */
  postQueued(): void {
    this.prepare();
    this.postReady();
  }

  /** At process exit: everything queued or unacknowledged, written on this thread before returning. */
  flushSync(): void {
    const batches = [...this.inFlight.values()];
    this.inFlight.clear();
    this.inFlightSpans = 0;
    this.prepare();
    batches.push(...this.takeReady());
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
    const spans = this.encoder.size;
    const batch: Batch = { request: this.encoder.finish(), kept: undefined, spans };
    this.ready.push(batch);
    this.readySpans += spans;
    this.finished++;
  }

  /** The open spans, as they are now, and the batch being encoded: into ready batches of at most maxBatchSize. */
  private prepare(): void {
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
  }

  /**
   * Posts ready batches while fewer than MAX_IN_FLIGHT are unanswered: the
   * thread always has the next one, and the buffers of answered batches
   * (their copies, their requests) are written again while their pages are
   * warm instead of new ones for every batch of a burst.
   */
  private postReady(): void {
    while (this.ready.length > 0 && (this.inFlight.size < MAX_IN_FLIGHT || !this.thread.alive)) {
      const batch = this.ready.shift() as Batch;
      this.readySpans -= batch.spans;
      this.posted++;
      if (this.thread.alive) this.postBatch(batch);
      else this.writeHere([batch]);
    }
  }

  private takeReady(): Batch[] {
    this.readySpans = 0;
    this.posted = this.finished;
    return this.ready.splice(0);
  }

  /** An answer came (or the thread died): the next batches go, and flushes waiting for them look again. */
  private answered(): void {
    this.postReady();
    const wakeUps = this.wakeUps.splice(0);
    for (const wake of wakeUps) wake();
  }

  private postBatch(batch: Batch): void {
    let answer: Promise<WriterOutcome>;
    batch.kept = this.copy(batch.request);
    try {
      // Transferred: from here on the bytes are the thread's, and the copy is this thread's until it answers.
      answer = this.thread.commit({ traces: batch.request });
    } catch (error) {
      this.failed += batch.spans;
      this.options.onError(error);
      return;
    }
    const id = this.nextId++;
    this.inFlight.set(id, batch);
    this.inFlightSpans += batch.spans;
    answer.then(
      (outcome) => this.settle(id, outcome),
      (error: unknown) => this.settleFailed(id, error),
    );
  }

  private settle(id: number, outcome: WriterOutcome): void {
    this.acknowledge(id);
    this.recorded(outcome);
    this.answered();
  }

  /** What a commit recorded: spans the decoder refused are lost (reported), crossings go to onBudget. */
  private recorded(outcome: WriterOutcome): void {
    if (outcome.rejected !== undefined) this.rejected(outcome.rejected);
    // Before the flush answer that follows it: a forceFlush() resolves with the crossings already known.
    if (outcome.crossings.length > 0) this.options.onBudget?.(outcome.crossings);
  }

  private rejected(rejected: RejectedSpans): void {
    this.failed += rejected.count;
    this.options.onError(new Error(`SkeinSpanProcessor: ${rejected.message}`));
  }

  /** The thread's commit of the batch failed: its spans are lost (unless the thread died: then threadGone wrote them here). */
  private settleFailed(id: number, error: unknown): void {
    const batch = this.acknowledge(id);
    if (batch === undefined) return;
    this.failed += batch.spans;
    this.options.onError(error);
    this.answered();
  }

  private acknowledge(id: number): Batch | undefined {
    const batch = this.inFlight.get(id);
    if (batch === undefined) return undefined;
    this.inFlight.delete(id);
    const kept = batch.kept;
    if (kept !== undefined && this.keptPool.length < MAX_KEPT_BUFFERS && kept.buffer.byteLength <= MAX_KEPT_BYTES) this.keptPool.push(kept.buffer as ArrayBuffer);
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
    this.answered();
  }

  private writeHere(batches: Batch[]): void {
    for (const batch of batches) {
      let outcome: WriterOutcome;
      try {
        // A posted batch's bytes went to the thread: its copy.
        const { received, rejected } = receivedFrom({ traces: batch.kept ?? batch.request });
        this.here ??= openIngestCommit(this.options.dbPath, this.options.ingest);
        outcome = rejected === undefined ? this.here.commit(received) : { ...this.here.commit(received), rejected };
      } catch (error) {
        this.failed += batch.spans;
        this.options.onError(error);
        continue;
      }
      this.recorded(outcome);
    }
  }

  /** A copy of the request, off the heap, in a buffer of an answered batch's when one is large enough. */
  private copy(request: Uint8Array): Uint8Array {
    const size = request.byteLength;
    let buffer: ArrayBuffer | undefined;
    for (let i = this.keptPool.length - 1; i >= 0; i--) {
      if (this.keptPool[i].byteLength >= size) {
        buffer = this.keptPool.splice(i, 1)[0];
        break;
      }
    }
    const kept = new Uint8Array(buffer ?? new ArrayBuffer(roomFor(size)), 0, size);
    kept.set(request);
    return kept;
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
