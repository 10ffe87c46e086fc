import type { BudgetEventRecord } from '../model/budgets.js';
import type { RawSpan } from '../model/types.js';
import { SqliteOutbox } from '../store/sqlite/sqlite-outbox.js';
import { SqliteTraceStore } from '../store/sqlite/sqlite-trace-store.js';
import { enqueuedOf, receiveBatch, recordsToWrite, spanPayloadWith } from './commit-plan.js';
import type { CommitOutcome } from './commit-plan.js';
import { runReadsSync } from './commit-reads.js';
import type { Ingest } from './ingest-settings.js';
import type { SignalBatch } from './signal-batch.js';

export type { CommitOutcome, EnqueuedPayload } from './commit-plan.js';

export interface IngestCommitOptions {
  store: SqliteTraceStore;
  /** From `createIngest`: redactor, normalizer, keep-filters, budgets and upstreams. */
  ingest: Ingest;
  /** Where payloads for the upstreams are queued. Default: an outbox on the store's own connection (made only with upstreams). */
  outbox?: SqliteOutbox;
}

/**
 * One commit of what was received, spans alone (the processor, `skein
 * import`) or a batch of every signal (the collector): resolves with what it
 * recorded once durable, throws (writing nothing) when it fails.
 */
export type IngestCommit = (received: RawSpan[] | SignalBatch) => CommitOutcome;

/**
 * The commit every way in to a SQLite file writes through, on whichever
 * thread it runs (the writer thread, or the caller's own when there is none):
 * secrets are redacted from every signal, the spans to keep are normalized
 * and stored, log records and metrics kept are stored, budgets are
 * evaluated, and everything received is queued for each upstream (one
 * payload per signal), all in one transaction (commit-plan.ts; PostgreSQL's
 * is pg-ingest-commit.ts).
 */
export function createIngestCommit(options: IngestCommitOptions): IngestCommit {
  const { store, ingest } = options;
  const { upstreams, budgets } = ingest.settings;
  const outbox = upstreams.length === 0 ? undefined : (options.outbox ?? new SqliteOutbox(store.database));
  return (work) => {
    const batch = receiveBatch(work, ingest, outbox !== undefined);
    let crossings: BudgetEventRecord[] = [];
    let spanPayload = batch.spanPayload;
    try {
      store.transaction(() => {
        // Read and written in the transaction: what the store holds enriches the batch, and the batch what it holds.
        const records = runReadsSync(recordsToWrite(batch, ingest), store);
        if (batch.spans.length > 0 || records.length > 0) crossings = store.writeSync(records, { budgets });
        if (batch.logs.length > 0) store.writeLogsSync(batch.keptLogs);
        if (batch.metrics.length > 0) store.writeMetricsSync(batch.keptMetrics);
        spanPayload = spanPayloadWith(batch, crossings);
        if (spanPayload) outbox?.enqueue(upstreams, spanPayload, batch.spans.length, { signal: 'traces' });
        if (batch.logPayload) outbox?.enqueue(upstreams, batch.logPayload, batch.logs.length, { signal: 'logs' });
        if (batch.metricPayload) outbox?.enqueue(upstreams, batch.metricPayload, batch.metricPoints, { signal: 'metrics' });
      });
    } catch (error) {
      if (outbox && (batch.spanPayload || batch.logPayload || batch.metricPayload)) outbox.recount();
      throw error;
    }
    return { crossings, enqueued: enqueuedOf(batch, spanPayload) };
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
