/**
 * The ingest commit on PostgreSQL (issue 18): what SQLite's does (ingest-commit.ts), in one
 * transaction of the shared database, with many collectors committing at once. The batch's traces
 * (of its spans and of its log records) are locked before anything is read, so two replicas
 * committing a span and the event that enriches it at the same moment are ordered: the second reads
 * what the first wrote. A deadlock between replicas rolls the transaction back and runs it again
 * (`PostgresTraceStore.commit`), the records made afresh from what was received.
 */
import type { RawSpan } from '../model/types.js';
import { PostgresTraceStore } from '../store/postgres/postgres-trace-store.js';
import { enqueuedOf, receiveBatch, recordsToWrite, spanPayloadWith } from './commit-plan.js';
import type { CommitOutcome } from './commit-plan.js';
import { runReads } from './commit-reads.js';
import type { Ingest } from './ingest-settings.js';
import type { SignalBatch } from './signal-batch.js';

/** `IngestCommit`, answered once the transaction is committed. */
export type AsyncIngestCommit = (received: RawSpan[] | SignalBatch) => Promise<CommitOutcome>;

export function createPgIngestCommit(store: PostgresTraceStore, ingest: Ingest): AsyncIngestCommit {
  const { upstreams, budgets } = ingest.settings;
  return async (work) => {
    const batch = receiveBatch(work, ingest, upstreams.length > 0);
    const traceIds = new Set<string>();
    for (const span of batch.spans) traceIds.add(span.traceId);
    for (const log of batch.keptLogs) if (log.traceId !== null) traceIds.add(log.traceId);
    return store.commit(async (tx) => {
      // Before the locks: inserting a resource may wait for another replica's insert of it.
      await tx.storeResources([...batch.spans, ...batch.keptLogs]);
      await tx.lockTraces(traceIds);
      const records = await runReads(recordsToWrite(batch, ingest), tx);
      const crossings = batch.spans.length > 0 || records.length > 0 ? await tx.writeSpans(records, budgets) : [];
      if (batch.logs.length > 0) await tx.writeLogs(batch.keptLogs);
      if (batch.metrics.length > 0) await tx.writeMetrics(batch.keptMetrics);
      const spanPayload = spanPayloadWith(batch, crossings);
      if (spanPayload) await tx.enqueue(upstreams, spanPayload, batch.spans.length, { signal: 'traces' });
      if (batch.logPayload) await tx.enqueue(upstreams, batch.logPayload, batch.logs.length, { signal: 'logs' });
      if (batch.metricPayload) await tx.enqueue(upstreams, batch.metricPayload, batch.metricPoints, { signal: 'metrics' });
      return { crossings, enqueued: enqueuedOf(batch, spanPayload) };
    });
  };
}

/** A commit on a PostgreSQL store of its own (the processor's `dbUrl`). */
export interface OpenedPgCommit {
  commit: AsyncIngestCommit;
  /** The URL without its password: what messages name. */
  database: string;
  /** Closes the store once its commits in flight end. */
  close(): Promise<void>;
}

/**
 * Opens the database at `url` (migrating it; throws a `StoreError` naming it without its password
 * when it cannot) and commits through it. Its idle connections do not keep the app's process alive.
 */
export async function openPgIngestCommit(url: string, ingest: Ingest): Promise<OpenedPgCommit> {
  const store = await PostgresTraceStore.open({ url, allowExitOnIdle: true });
  return { commit: createPgIngestCommit(store, ingest), database: store.database, close: () => store.close() };
}
