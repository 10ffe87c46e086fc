import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { BudgetConfig, BudgetEventRecord } from '../model/budgets.js';
import type { PriceTable } from '../model/pricing.js';
import type { RedactionOptions } from '../model/redaction/redactor.js';
import type { WritableStore } from './batch-writer.js';

export interface SkeinSpanProcessorOptions {
  /** Where spans go (exactly one of `store`, `dbPath` and `dbUrl`). A store with `writeSync` can also be flushed on process exit. */
  store?: WritableStore;
  /**
   * Opens a SQLite store at this path; the processor owns it and closes it on
   * shutdown. Spans are normalized and written on a worker thread, so the
   * app's thread only pays for a snapshot per span — unless `prices` is a
   * table with a `lookup` of the app's own making: that cannot cross
   * threads, so then everything runs on the app's thread as with `store`.
   * (A table from `createPriceTable` or `loadPriceTableFile` crosses.)
   */
  dbPath?: string;
  /**
   * Commits spans to this PostgreSQL database (`postgres://user:password@host/db`),
   * the one `skein serve --db` replicas share, with the same redaction, prices
   * and budgets as `dbPath`. Opened in the background: spans queue meanwhile;
   * if it cannot be opened, that is reported once (the database named without
   * its password), spans are counted failed, and it is tried again on the next
   * flush (or at most every 5 s as spans arrive). A commit that fails is
   * reported and its spans counted failed. Commits are asynchronous: spans not
   * committed when the process exits without `shutdown()` are lost.
   */
  dbUrl?: string;
  /** Spans per write (one transaction each). Default 512. */
  maxBatchSize?: number;
  /** Longest a queued span waits before it is written. Default 200. */
  flushIntervalMillis?: number;
  /**
   * Spans held while waiting to be written. Past half of it steps are no longer
   * recorded at start (only at end); when full, ended spans are dropped and
   * counted. Default 10 000.
   */
  maxQueueSize?: number;
  /** Text values (content, attributes) are cut to this many characters, original length kept. */
  maxTextLength?: number;
  /** Prices used to compute cost when a span does not carry it. */
  prices?: PriceTable;
  /**
   * Ended spans are also exported here, through the SDK's own
   * `BatchSpanProcessor`. A failed export is reported to the OTel error
   * handler and counted (`forwardFailedSpans`); it never rejects
   * `forceFlush()` or `shutdown()`. When the event loop drains without
   * `shutdown()` (`beforeExit`), what is queued is exported once more,
   * within the exporter's own timeout; a `process.exit()` or a signal cannot
   * wait for the network, so spans not yet exported then are only in the
   * database.
   */
  forward?: SpanExporter;
  /**
   * Secrets removed before spans are stored or forwarded (API keys, tokens,
   * private keys, card numbers, values of denied keys). On by default;
   * `{ enabled: false }` turns it off.
   */
  redaction?: RedactionOptions;
  /**
   * Limits per session (and per agent name, per user id), evaluated where the
   * rollups are: in the write transaction, after each batch (on the writer
   * thread with `dbPath`, in the commit with `dbUrl`). Needs `dbPath`, `dbUrl`
   * or a store whose `writeSync` evaluates them (`SqliteTraceStore`). See
   * README *Budgets*.
   */
  budgets?: BudgetConfig;
  /**
   * Called on the app's thread, once per crossing this processor's writes
   * recorded, after its commit. What it throws goes to the OTel error handler.
   */
  onBudget?: (crossing: BudgetEventRecord) => void;
  /**
   * With an `AgentTracer` given this processor (`budgets: processor`), a model
   * call in a session over a limit throws `BudgetExceededError` instead of
   * starting. It lags by the flush interval: a session is known to be over
   * once the batch that crossed is committed (`forceFlush()` makes it so).
   */
  enforce?: boolean;
  /**
   * A `skein.config.json`: its `budgets`, `redaction` and `prices` apply
   * unless the same option is given here. Read and checked in the constructor.
   */
  configFile?: string;
}
