import type { BudgetConfig, BudgetEventRecord } from '../model/budgets.js';
import { isGenAiRecord } from '../model/genai-filter.js';
import type { Redactor } from '../model/redaction/redactor.js';
import type { RawSpan, SpanRecord } from '../model/types.js';
import { encodeTraceRequest } from '../otlp/index.js';
import type { SqliteOutbox } from '../store/sqlite/sqlite-outbox.js';
import type { SqliteTraceStore } from '../store/sqlite/sqlite-trace-store.js';
import { withBudgetEvents } from './with-budget-events.js';
import type { IngestStoreMode as StoreMode } from './ingest-settings.js';

export interface CommitOutcome {
  /** The budget crossings this commit recorded. */
  crossings: BudgetEventRecord[];
  /** What was queued for each upstream (one payload per upstream), or null with no upstreams. */
  enqueued: { spans: number; bytes: number } | null;
}

export interface CollectorCommitOptions {
  store: SqliteTraceStore;
  outbox: SqliteOutbox;
  /** Applied first: what is stored and what is forwarded are both redacted. */
  redactor: Redactor;
  /** Normalizes with the same redactor (which remembers the spans it redacted, so nothing is scanned twice). */
  normalize: (raw: RawSpan) => SpanRecord;
  upstreams: readonly string[];
  storeMode?: StoreMode;
  budgets?: BudgetConfig;
}

/**
 * The collector's commit of one group of requests, wherever it runs (the
 * writer thread, or the collector's own thread when there is none): secrets
 * are redacted, the spans to keep are normalized and stored, and every span
 * received is queued for each upstream, in one transaction.
 */
export function createCollectorCommit(options: CollectorCommitOptions): (received: RawSpan[]) => CommitOutcome {
  const { store, outbox, redactor, normalize, upstreams, budgets } = options;
  const keep = options.storeMode === 'genai' ? isGenAiRecord : undefined;
  return (spans) => {
    const received = redactor.redactSpans(spans);
    let records = received.map(normalize);
    if (keep) records = records.filter(keep);
    // Encoded before the write lock is taken; again inside it only in the rare batch that crossed a budget.
    let payload = upstreams.length > 0 ? encodeTraceRequest(received, 'protobuf') : null;
    let crossings: BudgetEventRecord[] = [];
    try {
      store.transaction(() => {
        crossings = store.writeSync(records, { budgets });
        if (payload && crossings.some((c) => c.spanId !== null)) {
          payload = encodeTraceRequest(withBudgetEvents(received, crossings), 'protobuf');
        }
        if (payload) outbox.enqueue(upstreams, payload, received.length);
      });
    } catch (error) {
      if (payload) outbox.recount();
      throw error;
    }
    return { crossings, enqueued: payload ? { spans: received.length, bytes: payload.byteLength } : null };
  };
}
