import { numberOption } from '../model/option-values.js';
import type { RawSpan } from '../model/types.js';
import { IngestOverloadedError, SpansRefusedError } from './trace-ingest.js';
import type { TraceIngest } from './trace-ingest.js';

/** Commits one batch durably, every span as received (what is kept, and how, is the commit's business). Resolves once committed. */
export type CommitBatch = (received: RawSpan[]) => void | Promise<void>;

export interface GroupCommitIngestOptions {
  commit: CommitBatch;
  /** Spans waiting for a commit beyond which requests are refused with 503. Default 100,000. */
  maxPendingSpans?: number;
  /**
   * The longest a newly accepted request is expected to wait for its commit,
   * from the commit rate measured so far; past it, requests are refused with
   * 503. Below the OTel SDKs' 10 s export timeout, after which they send
   * again (and the spans arrive twice). Default 5,000 ms.
   */
  maxWaitMillis?: number;
  /** What a refused client is told to wait, at least. Default 1 s. */
  retryAfterSeconds?: number;
  /** Checked before accepting: a reason to refuse (e.g. the outbox is full), or null. */
  refuse?: () => string | null;
}

const OWNER = 'GroupCommitIngest';
/** Commits not measured for the wait bound: they pay for start-up. */
const WARM_UP_COMMITS = 3;

interface Waiter {
  received: readonly RawSpan[];
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit: requests that arrive while a commit is being prepared share
 * one transaction, and each is answered when that transaction is durable.
 * SQLite pays per commit, not per row (PERFORMANCE.md: ~3× between 1 and 100
 * rows per transaction), so concurrent clients make ingest cheaper, not slower.
 * Sharing never costs a client its answer: when a shared commit fails, each
 * request is committed alone, and only those whose own spans fail are refused.
 */
export class GroupCommitIngest implements TraceIngest {
  private readonly commit: CommitBatch;
  private readonly maxPendingSpans: number;
  private readonly retryAfterSeconds: number;
  private readonly maxWaitMillis: number;
  /** Commit time per span, smoothed over the recent commits; undefined before the first. */
  private millisPerSpan: number | undefined;
  /** Commits seen so far, up to the warm-up count. */
  private commitsSeen = 0;
  private readonly refuse: (() => string | null) | undefined;
  private waiting: Waiter[] = [];
  private pendingSpans = 0;
  private scheduled = false;
  private committing: Promise<void> = Promise.resolve();

  constructor(options: GroupCommitIngestOptions) {
    this.commit = options.commit;
    this.maxPendingSpans = numberOption(OWNER, 'maxPendingSpans', options.maxPendingSpans, 100_000, { min: 1, integer: true });
    this.retryAfterSeconds = numberOption(OWNER, 'retryAfterSeconds', options.retryAfterSeconds, 1, {
      min: 0,
      max: 86_400,
      integer: true,
    });
    this.maxWaitMillis = numberOption(OWNER, 'maxWaitMillis', options.maxWaitMillis, 5_000, { min: 1, max: 3_600_000 });
    this.refuse = options.refuse;
  }

  /** How long a request of `spans` spans accepted now is expected to wait for its commit (0 before any commit). */
  expectedWaitMillis(spans = 0): number {
    if (this.millisPerSpan === undefined || this.commitsSeen < WARM_UP_COMMITS) return 0;
    return (this.pendingSpans + spans) * this.millisPerSpan;
  }

  /** Spans accepted but not yet committed. */
  get pending(): number {
    return this.pendingSpans;
  }

  ingest(spans: readonly RawSpan[]): Promise<void> {
    const { maxPendingSpans, retryAfterSeconds, refuse } = this;
    const reason = refuse?.();
    if (reason) return Promise.reject(new IngestOverloadedError(reason, retryAfterSeconds));
    if (this.pendingSpans > 0 && this.pendingSpans + spans.length > maxPendingSpans) {
      return Promise.reject(
        new IngestOverloadedError(
          `the store is ${this.pendingSpans} spans behind (limit ${maxPendingSpans}); retry later`,
          retryAfterSeconds,
        ),
      );
    }
    const wait = this.expectedWaitMillis(spans.length);
    if (this.pendingSpans > 0 && wait > this.maxWaitMillis) {
      return Promise.reject(
        new IngestOverloadedError(
          `the store is ${Math.round(wait)} ms behind (limit ${this.maxWaitMillis} ms); retry later`,
          Math.max(retryAfterSeconds, Math.min(60, Math.ceil((wait - this.maxWaitMillis) / 1000))),
        ),
      );
    }
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ received: spans, resolve, reject });
      this.pendingSpans += spans.length;
      this.schedule();
    });
  }

  /** Resolves when everything accepted so far is committed. */
  async drain(): Promise<void> {
    while (this.waiting.length > 0 || this.scheduled) {
      await this.committing;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    await this.committing;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // setImmediate runs after the I/O callbacks of this loop turn: every
    // request whose body finished in this turn joins the same commit.
    setImmediate(() => {
      this.committing = this.committing.then(() => this.commitWaiting());
    });
  }

  private async commitWaiting(): Promise<void> {
    this.scheduled = false;
    const batch = this.waiting;
    this.waiting = [];
    if (batch.length === 0) return;
    const received: RawSpan[] = [];
    for (const waiter of batch) for (const s of waiter.received) received.push(s);
    const count = received.length;
    try {
      const startedAt = performance.now();
      await this.commit(received);
      this.measured(count, performance.now() - startedAt);
      for (const waiter of batch) waiter.resolve();
    } catch (error) {
      if (batch.length === 1 || isStoreFailure(error)) {
        for (const waiter of batch) waiter.reject(error);
      } else {
        await this.isolate(batch);
      }
    } finally {
      this.pendingSpans -= count;
    }
  }

  private measured(spans: number, millis: number): void {
    if (spans === 0) return;
    // The first commits pay for start-up (the writer thread loading, JIT, a cold page cache):
    // judged on them, a fresh collector would refuse its first clients.
    if (this.commitsSeen < WARM_UP_COMMITS) this.commitsSeen++;
    if (this.commitsSeen < WARM_UP_COMMITS) return;
    const sample = millis / spans;
    // Smoothed, so one slow commit (a checkpoint) does not refuse everyone, and a lasting slowdown shows within a few commits.
    this.millisPerSpan = this.millisPerSpan === undefined ? sample : 0.7 * this.millisPerSpan + 0.3 * sample;
  }

  /**
   * The shared commit failed: commit each request alone, so that one
   * client's spans cannot fail everyone's. If any request commits, the store
   * works and the ones that still fail are refused for their own spans
   * (`SpansRefusedError`); if none does, the store is at fault and each gets
   * its error as before. A store failure on the way fails the rest at once.
   */
  private async isolate(batch: readonly Waiter[]): Promise<void> {
    const failures: Array<{ waiter: Waiter; error: unknown }> = [];
    let committed = 0;
    for (let i = 0; i < batch.length; i++) {
      const waiter = batch[i];
      try {
        await this.commit(waiter.received.slice());
        committed++;
        waiter.resolve();
      } catch (error) {
        if (isStoreFailure(error)) {
          for (const earlier of failures) earlier.waiter.reject(earlier.error);
          for (let j = i; j < batch.length; j++) batch[j].reject(error);
          return;
        }
        failures.push({ waiter, error });
      }
    }
    for (const { waiter, error } of failures) {
      waiter.reject(committed > 0 ? new SpansRefusedError(error) : error);
    }
  }
}

/**
 * SQLite result codes that are about the database, never about the rows
 * being written: retrying request by request would only repeat them (and
 * wait out the busy timeout once per request).
 */
const STORE_FAILURE_CODES = [
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
  'SQLITE_FULL',
  'SQLITE_IOERR',
  'SQLITE_READONLY',
  'SQLITE_CORRUPT',
  'SQLITE_NOTADB',
  'SQLITE_CANTOPEN',
  'SQLITE_NOMEM',
  'SQLITE_PERM',
  'SQLITE_PROTOCOL',
];

function isStoreFailure(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return false;
  return STORE_FAILURE_CODES.some((prefix) => code === prefix || code.startsWith(`${prefix}_`));
}
