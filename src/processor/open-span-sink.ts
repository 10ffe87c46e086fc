import { isAbsolute, resolve } from 'node:path';
import { crossesThreads } from '../ingest/ingest-settings.js';
import type { Ingest } from '../ingest/ingest-settings.js';
import type { BudgetEventRecord } from '../model/budgets.js';
import { DatabaseOpenError, openIngestStore, prepareIngestDatabase } from '../ingest/ingest-database.js';
import { InThreadSpanSink } from './in-thread-span-sink.js';
import type { ClosableStore } from './in-thread-span-sink.js';
import type { InternalWork } from './internal-work.js';
import { PgSpanSink } from './pg-span-sink.js';
import { errorMessage } from './report-only.js';
import type { SpanSink } from './span-sink.js';
import { UnopenedSpanSink } from './unopened-span-sink.js';
import { WorkerSpanSink } from './worker-span-sink.js';
import { WorkerWriter } from './worker-writer.js';

export interface OpenSpanSinkOptions {
  /** Exactly one of store, dbPath and dbUrl. */
  store?: ClosableStore;
  dbPath?: string;
  dbUrl?: string;
  maxBatchSize: number;
  maxQueueSize: number;
  /** The redactor, normalizer, prices and budgets every batch is written with, on whichever thread writes. */
  ingest: Ingest;
  onBudget: (crossings: BudgetEventRecord[]) => void;
  onError: (error: unknown) => void;
  internal: InternalWork;
}

/**
 * The processor's one sink, chosen once: the ingest writer thread for a
 * `dbPath` (unless a price table with a lookup of the app's own making, which
 * cannot cross threads, keeps writes on this thread), this thread for a store
 * given in code, commits to PostgreSQL for a `dbUrl` (`PgSpanSink`, which
 * opens it in the background). A `dbPath` that cannot be opened is reported
 * to `onError` (naming the path and the reason) instead of thrown: the app
 * runs on, with an `UnopenedSpanSink` counting its spans as failed.
 */
export function openSpanSink(options: OpenSpanSinkOptions): SpanSink {
  const { store, dbPath, dbUrl, maxBatchSize, maxQueueSize, ingest, onBudget, onError, internal } = options;
  const { normalize } = ingest;
  const { budgets } = ingest.settings;
  const runInternal = <T>(fn: () => T): T => internal.run(fn);
  const inThread = (opened: ClosableStore, ownsStore: boolean): SpanSink =>
    new InThreadSpanSink({ store: opened, ownsStore, normalize, maxBatchSize, maxQueueSize, onError, runInternal, budgets, onBudget });
  if (store !== undefined) return inThread(store, false);
  if (dbUrl !== undefined) return new PgSpanSink({ url: dbUrl, maxBatchSize, maxQueueSize, ingest, onBudget, onError, runInternal });
  const path = dbPath as string;
  try {
    prepareIngestDatabase(path);
    if (!crossesThreads(ingest.settings)) return inThread(openIngestStore(path), true);
    const writer = new WorkerWriter({ dbPath: path, ingest, maxBatchSize, maxQueueSize, onError, onBudget });
    return new WorkerSpanSink(writer);
  } catch (cause) {
    const reason = cause instanceof DatabaseOpenError ? cause.reason : errorMessage(cause);
    const shown = isAbsolute(path) ? path : `${path} (${resolve(path)})`;
    onError(new Error(`SkeinSpanProcessor: cannot open the database ${shown}: ${reason}; spans will not be stored`, { cause }));
    return new UnopenedSpanSink();
  }
}
