import type { RawLogRecord } from '../model/log-types.js';
import type { RawMetric } from '../model/metric-types.js';
import type { RawSpan } from '../model/types.js';
import type { SqliteOutbox } from '../store/sqlite/sqlite-outbox.js';
import type { SqliteTraceStore } from '../store/sqlite/sqlite-trace-store.js';
import type { PostgresTraceStore } from '../store/postgres/postgres-trace-store.js';
import { GroupCommitIngest } from './group-commit-ingest.js';
import { createIngestCommit } from './ingest-commit.js';
import { createPgIngestCommit } from './pg-ingest-commit.js';
import type { CommitOutcome } from './ingest-commit.js';
import { createIngest, crossesThreads } from './ingest-settings.js';
import type { IngestSettings } from './ingest-settings.js';
import { IngestWriterThread } from './ingest-writer-thread.js';
import type { SignalIngest } from './trace-ingest.js';

export interface IngestPipelineOptions {
  /** The database file (`:memory:`: commits stay on this thread, a second connection would open another database). */
  dbPath: string;
  store: SqliteTraceStore;
  /** The outbox whose queued bytes the caller bounds: commits on the writer thread are counted in it too. */
  outbox: SqliteOutbox;
  settings: IngestSettings;
  /** Items (spans, log records, metric data points) waiting for a commit beyond which requests are refused. Default 100,000. */
  maxPendingSpans?: number;
  maxWaitMillis?: number;
  /** Checked before accepting a request: a reason to refuse it (e.g. an outbox full), or null. */
  refuse?: () => string | null;
  /** After each commit, once durable (forwarders are woken, budget crossings reported). */
  afterCommit?: (outcome: CommitOutcome) => void;
}

export interface IngestPipeline extends SignalIngest {
  /** Items (spans, log records, metric data points) accepted and waiting for their commit. */
  readonly pending: number;
  /** Commits everything accepted, then ends the writer thread. Idempotent. */
  close(): Promise<void>;
}

/**
 * The pipeline behind the OTLP receivers (HTTP and gRPC, every signal):
 * requests of any signal share group commits, which
 * run on the writer thread (the receiver's thread meanwhile reads and decodes
 * the next requests) or, without one, on this thread through the same commit.
 * Every option is checked, and the redactor and normalizer built, before the
 * thread starts: a refused option must not leave a thread holding the process open.
 */
export function createIngestPipeline(options: IngestPipelineOptions): IngestPipeline {
  const { store, outbox, settings, afterCommit } = options;
  const commitHere = createIngestCommit({ store, outbox, ingest: createIngest(settings) });
  const group = new GroupCommitIngest({
    maxPendingSpans: options.maxPendingSpans,
    maxWaitMillis: options.maxWaitMillis,
    refuse: options.refuse,
    async commit(received) {
      let outcome: CommitOutcome;
      if (writer?.alive) {
        outcome = await writer.commit(received);
        // Queued through the thread's connection: counted here too, for the outbox bound.
        for (const payload of outcome.enqueued) outbox.counted(settings.upstreams, payload.count, payload.bytes);
      } else {
        outcome = commitHere(received);
      }
      afterCommit?.(outcome);
    },
  });
  // Not for an in-memory database, nor for a price table of the app's own making (its lookup
  // cannot cross threads): commits then stay on this thread.
  const writer =
    options.dbPath === ':memory:' || !crossesThreads(settings)
      ? undefined
      : new IngestWriterThread({
          dbPath: options.dbPath,
          settings,
          onError: (error) => console.error('skein: the writer thread failed; committing on the main thread from now on:', error),
        });
  return pipelineOf(group, async () => {
    await writer?.close().catch((error: unknown) => console.error('skein: closing the writer thread failed:', error));
  });
}

/** The pipeline over its group commit: `close` commits everything accepted, then runs `afterDrain`, once. */
function pipelineOf(group: GroupCommitIngest, afterDrain: () => Promise<void>): IngestPipeline {
  let closing: Promise<void> | undefined;
  return {
    ingest: (spans: readonly RawSpan[]) => group.ingest(spans),
    ingestLogs: (records: readonly RawLogRecord[]) => group.ingestLogs(records),
    ingestMetrics: (metrics: readonly RawMetric[]) => group.ingestMetrics(metrics),
    get pending() {
      return group.pending;
    },
    close() {
      closing ??= (async () => {
        await group.drain();
        await afterDrain();
      })();
      return closing;
    },
  };
}

export interface PgIngestPipelineOptions {
  store: PostgresTraceStore;
  settings: IngestSettings;
  maxPendingSpans?: number;
  maxWaitMillis?: number;
  refuse?: () => string | null;
  afterCommit?: (outcome: CommitOutcome) => void;
}

/**
 * The same pipeline on PostgreSQL: group commits on this thread, each one
 * transaction of the shared database (pg-ingest-commit.ts). No writer
 * thread: one was built and measured (bench/pg-ingest.ts, 6 interleaved
 * pairs): it cut this thread's CPU from 130-200 to 30-50 us per span but
 * not the spans/s (0.88-1.29x), for two more connections per replica.
 */
export function createPgIngestPipeline(options: PgIngestPipelineOptions): IngestPipeline {
  const { afterCommit } = options;
  const commit = createPgIngestCommit(options.store, createIngest(options.settings));
  const group = new GroupCommitIngest({
    maxPendingSpans: options.maxPendingSpans,
    maxWaitMillis: options.maxWaitMillis,
    refuse: options.refuse,
    async commit(received) {
      const outcome = await commit(received);
      // Not inside `afterCommit?.(…)`: without a callback its argument would never be evaluated.
      afterCommit?.(outcome);
    },
  });
  return pipelineOf(group, async () => undefined);
}
