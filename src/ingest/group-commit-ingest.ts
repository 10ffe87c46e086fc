import type { RawLogRecord } from '../model/log-types.js';
import type { RawMetric } from '../model/metric-types.js';
import { numberOption } from '../model/option-values.js';
import type { RawSpan } from '../model/types.js';
import { metricPointCount } from './signal-batch.js';
import type { SignalBatch } from './signal-batch.js';
import { StoreUnavailableError } from '../store/errors.js';
import { IngestOverloadedError, SpansRefusedError } from './trace-ingest.js';
import type { SignalIngest } from './trace-ingest.js';

/**
 * Commits one batch durably, every span, log record and metric as received
 * (what is kept, and how, is the commit's business). Resolves once committed.
 */
export type CommitBatch = (received: SignalBatch) => void | Promise<void>;

export interface GroupCommitIngestOptions {
  commit: CommitBatch;
  /**
   * Items waiting for a commit beyond which requests are refused with 503:
   * spans, log records and metric data points alike (the name is the
   * config file's, from when only spans came in). Default 100,000.
   */
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
  received: SignalBatch;
  /** Its spans, log records and metric data points. */
  items: number;
  /** What its items are called in a refusal. */
  noun: string;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit: requests that arrive while a commit is being prepared share
 * one transaction, whatever their signal, and each is answered when that
 * transaction is durable.
 * SQLite pays per commit, not per row (PERFORMANCE.md: ~3× between 1 and 100
 * rows per transaction), so concurrent clients make ingest cheaper, not slower.
 * Sharing never costs a client its answer: when a shared commit fails, each
 * request is committed alone, and only those whose own spans fail are refused.
 */
export class GroupCommitIngest implements SignalIngest {
  private readonly commit: CommitBatch;
  private readonly maxPendingSpans: number;
  private readonly retryAfterSeconds: number;
  private readonly maxWaitMillis: number;
  /** Commit time per item, smoothed over the recent commits; undefined before the first. */
  private millisPerItem: number | undefined;
  /** Commits seen so far, up to the warm-up count. */
  private commitsSeen = 0;
  private readonly refuse: (() => string | null) | undefined;
  private waiting: Waiter[] = [];
  private pendingItems = 0;
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

  /** How long a request of `items` items accepted now is expected to wait for its commit (0 before any commit). */
  expectedWaitMillis(items = 0): number {
    if (this.millisPerItem === undefined || this.commitsSeen < WARM_UP_COMMITS) return 0;
    return (this.pendingItems + items) * this.millisPerItem;
  }

  /** Items (spans, log records, metric data points) accepted but not yet committed. */
  get pending(): number {
    return this.pendingItems;
  }

  ingest(spans: readonly RawSpan[]): Promise<void> {
    return this.accept({ spans: spans.slice(), logs: [], metrics: [] }, spans.length, 'spans');
  }

  ingestLogs(records: readonly RawLogRecord[]): Promise<void> {
    return this.accept({ spans: [], logs: records.slice(), metrics: [] }, records.length, 'log records');
  }

  ingestMetrics(metrics: readonly RawMetric[]): Promise<void> {
    return this.accept({ spans: [], logs: [], metrics: metrics.slice() }, metricPointCount(metrics), 'metric points');
  }

  private accept(received: SignalBatch, items: number, noun: string): Promise<void> {
    const { maxPendingSpans, retryAfterSeconds, refuse } = this;
    const reason = refuse?.();
    if (reason) return Promise.reject(new IngestOverloadedError(reason, retryAfterSeconds));
    if (this.pendingItems > 0 && this.pendingItems + items > maxPendingSpans) {
      return Promise.reject(
        new IngestOverloadedError(
          `the store is ${this.pendingItems} items behind (limit ${maxPendingSpans}); retry later`,
          retryAfterSeconds,
        ),
      );
    }
    const wait = this.expectedWaitMillis(items);
    if (this.pendingItems > 0 && wait > this.maxWaitMillis) {
      return Promise.reject(
        new IngestOverloadedError(
          `the store is ${Math.round(wait)} ms behind (limit ${this.maxWaitMillis} ms); retry later`,
          Math.max(retryAfterSeconds, Math.min(60, Math.ceil((wait - this.maxWaitMillis) / 1000))),
        ),
      );
    }
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ received, items, noun, resolve, reject });
      this.pendingItems += items;
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
    const received: SignalBatch = { spans: [], logs: [], metrics: [] };
    let count = 0;
    for (const waiter of batch) {
      for (const s of waiter.received.spans) received.spans.push(s);
      for (const r of waiter.received.logs) received.logs.push(r);
      for (const m of waiter.received.metrics) received.metrics.push(m);
      count += waiter.items;
    }
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
      this.pendingItems -= count;
    }
  }

  private measured(items: number, millis: number): void {
    if (items === 0) return;
    // The first commits pay for start-up (the writer thread loading, JIT, a cold page cache):
    // judged on them, a fresh collector would refuse its first clients.
    if (this.commitsSeen < WARM_UP_COMMITS) this.commitsSeen++;
    if (this.commitsSeen < WARM_UP_COMMITS) return;
    const sample = millis / items;
    // Smoothed, so one slow commit (a checkpoint) does not refuse everyone, and a lasting slowdown shows within a few commits.
    this.millisPerItem = this.millisPerItem === undefined ? sample : 0.7 * this.millisPerItem + 0.3 * sample;
  }

  /**
   * The shared commit failed: commit each request alone, so that one
   * client's records cannot fail everyone's. If any request commits, the store
   * works and the ones that still fail are refused for their own records
   * (`SpansRefusedError`); if none does, the store is at fault and each gets
   * its error as before. A store failure on the way fails the rest at once.
   */
  private async isolate(batch: readonly Waiter[]): Promise<void> {
    const failures: Array<{ waiter: Waiter; error: unknown }> = [];
    let committed = 0;
    for (let i = 0; i < batch.length; i++) {
      const waiter = batch[i];
      try {
        const { spans, logs, metrics } = waiter.received;
        await this.commit({ spans: spans.slice(), logs: logs.slice(), metrics: metrics.slice() });
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
      waiter.reject(committed > 0 ? new SpansRefusedError(error, waiter.noun) : error);
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
  // PostgreSQL out of reach: every request would wait for the same refused connection.
  if (error instanceof StoreUnavailableError) return true;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return false;
  return STORE_FAILURE_CODES.some((prefix) => code === prefix || code.startsWith(`${prefix}_`));
}
