import type { BudgetEventRecord } from '../model/budgets.js';
import type { RawSpan } from '../model/types.js';
import { encodeTraceRequest } from '../otlp/index.js';
import { SqliteOutbox } from '../store/sqlite/sqlite-outbox.js';
import { SqliteTraceStore } from '../store/sqlite/sqlite-trace-store.js';
import type { Ingest } from './ingest-settings.js';
import { withBudgetEvents } from './with-budget-events.js';

export interface CommitOutcome {
  /** The budget crossings this commit recorded. */
  crossings: BudgetEventRecord[];
  /** What was queued for each upstream (one payload per upstream), or null with no upstreams. */
  enqueued: { spans: number; bytes: number } | null;
}

export interface IngestCommitOptions {
  store: SqliteTraceStore;
  /** From `createIngest`: redactor, normalizer, keep-filter, budgets and upstreams. */
  ingest: Ingest;
  /** Where spans for the upstreams are queued. Default: an outbox on the store's own connection (made only with upstreams). */
  outbox?: SqliteOutbox;
}

/** One commit of received spans: resolves with what it recorded once durable, throws (writing nothing) when it fails. */
export type IngestCommit = (received: RawSpan[]) => CommitOutcome;

/**
 * The commit every way in writes through, on whichever thread it runs (the
 * writer thread, or the caller's own when there is none): secrets are
 * redacted, the spans to keep are normalized and stored, budgets are
 * evaluated, and every span received is queued for each upstream, all in
 * one transaction.
 */
export function createIngestCommit(options: IngestCommitOptions): IngestCommit {
  const { store } = options;
  const { redactor, normalize, keep, settings } = options.ingest;
  const { upstreams, budgets } = settings;
  const outbox = upstreams.length === 0 ? undefined : (options.outbox ?? new SqliteOutbox(store.database));
  return (spans) => {
    const received = redactor.redactSpans(spans);
    let records = received.map(normalize);
    if (keep) records = records.filter(keep);
    // Encoded before the write lock is taken; again inside it only in the rare batch that crossed a budget.
    let payload = outbox ? encodeTraceRequest(received, 'protobuf') : null;
    let crossings: BudgetEventRecord[] = [];
    try {
      store.transaction(() => {
        crossings = store.writeSync(records, { budgets });
        if (payload && crossings.some((c) => c.spanId !== null)) {
          payload = encodeTraceRequest(withBudgetEvents(received, crossings), 'protobuf');
        }
        if (payload) outbox?.enqueue(upstreams, payload, received.length);
      });
    } catch (error) {
      if (payload) outbox?.recount();
      throw error;
    }
    return { crossings, enqueued: payload ? { spans: received.length, bytes: payload.byteLength } : null };
  };
}

/** A commit on a connection of its own. */
export interface OpenedCommit {
  commit: IngestCommit;
  /** Closes the connection. */
  close(): void;
}

/**
 * Opens a connection to the file at `dbPath` (creating and migrating it if
 * needed; throws when it cannot) and commits through it: for a caller that
 * commits on its own thread when its writer thread cannot.
 */
export function openIngestCommit(dbPath: string, ingest: Ingest): OpenedCommit {
  const store = new SqliteTraceStore({ path: dbPath });
  return { commit: createIngestCommit({ store, ingest }), close: () => store.closeSync() };
}
