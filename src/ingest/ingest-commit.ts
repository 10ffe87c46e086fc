import { stepsFromEvents } from '../model/agents/index.js';
import type { BudgetEventRecord } from '../model/budgets.js';
import type { OtlpSignal } from '../model/signals.js';
import type { RawSpan } from '../model/types.js';
import { encodeLogsRequest, encodeMetricsRequest, encodeTraceRequest } from '../otlp/index.js';
import { SqliteOutbox } from '../store/sqlite/sqlite-outbox.js';
import { SqliteTraceStore } from '../store/sqlite/sqlite-trace-store.js';
import { enrichAgentSpans, stretchStoredTurns } from './agent-enrichment.js';
import { attachGenAiConversations } from './genai-event-enrichment.js';
import { joinAgentUsage } from './agent-usage-join.js';
import type { Ingest } from './ingest-settings.js';
import { asSignalBatch, metricPointCount } from './signal-batch.js';
import type { SignalBatch } from './signal-batch.js';
import { withBudgetEvents } from './with-budget-events.js';

/** One payload queued for each upstream: a signal's `Export*ServiceRequest`, protobuf. */
export interface EnqueuedPayload {
  signal: OtlpSignal;
  /** Spans, log records or metric data points in it. */
  count: number;
  bytes: number;
}

export interface CommitOutcome {
  /** The budget crossings this commit recorded. */
  crossings: BudgetEventRecord[];
  /** What was queued for each upstream: one payload per signal the commit received; empty with no upstreams. */
  enqueued: EnqueuedPayload[];
}

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
 * The commit every way in writes through, on whichever thread it runs (the
 * writer thread, or the caller's own when there is none): secrets are
 * redacted from every signal, the spans to keep are normalized and stored,
 * log records and metrics kept are stored, budgets are evaluated, and
 * everything received is queued for each upstream (one payload per signal),
 * all in one transaction.
 */
export function createIngestCommit(options: IngestCommitOptions): IngestCommit {
  const { store } = options;
  const { redactor, normalize, keep, keepLog, keepMetric, settings } = options.ingest;
  const { upstreams, budgets } = settings;
  const outbox = upstreams.length === 0 ? undefined : (options.outbox ?? new SqliteOutbox(store.database));
  return (work) => {
    const batch = asSignalBatch(work);
    const received = batch.spans.length === 0 ? batch.spans : redactor.redactSpans(batch.spans);
    const logs = batch.logs.length === 0 ? batch.logs : redactor.redactLogs(batch.logs);
    const metrics = batch.metrics.length === 0 ? batch.metrics : redactor.redactMetrics(batch.metrics);
    let records = received.map(normalize);
    if (keep) records = records.filter(keep);
    const keptLogs = keepLog && logs.length > 0 ? logs.filter(keepLog) : logs;
    // An agent that sends only log events (Claude Code by default) gets its steps made from them: stored
    // with the spans, never forwarded (upstreams get what arrived).
    const derived: RawSpan[] = keptLogs.length === 0 ? [] : stepsFromEvents(keptLogs);
    // Encoded before the write lock is taken; spans again inside it only in the rare batch that crossed a budget.
    let spanPayload = outbox && received.length > 0 ? encodeTraceRequest(received, 'protobuf') : null;
    const logPayload = outbox && logs.length > 0 ? encodeLogsRequest(logs) : null;
    const metricPayload = outbox && metrics.length > 0 ? encodeMetricsRequest(metrics) : null;
    const points = metricPointCount(metrics);
    let crossings: BudgetEventRecord[] = [];
    try {
      store.transaction(() => {
        // Read and written in the transaction: an agent's events that enrich its spans (cost, answer), either first.
        const enriched = enrichAgentSpans(store, records, keptLogs, normalize, settings.maxTextLength);
        if (enriched.length > 0) records = records.concat(enriched);
        // OTel GenAI events (the messages sent, the choices) as their call's input and output; either first.
        const conversed = attachGenAiConversations(store, records, keptLogs, normalize, settings.maxTextLength);
        if (conversed.length > 0) records = records.concat(conversed);
        // A model call's tokens its span lacks (Gemini CLI's cached and thought tokens), from its event; either first.
        const joined = joinAgentUsage(store, records, keptLogs, normalize);
        if (joined.length > 0) records = records.concat(joined);
        if (derived.length > 0) {
          // Normalized here: a turn made in an earlier request may end later than these steps say.
          const turns = stretchStoredTurns(store, derived, normalize);
          records = records.concat(derived.map(normalize), turns);
        }
        if (received.length > 0 || records.length > 0) crossings = store.writeSync(records, { budgets });
        if (logs.length > 0) store.writeLogsSync(keptLogs);
        if (metrics.length > 0) store.writeMetricsSync(keepMetric ? metrics.filter(keepMetric) : metrics);
        if (spanPayload && crossings.some((c) => c.spanId !== null)) {
          spanPayload = encodeTraceRequest(withBudgetEvents(received, crossings), 'protobuf');
        }
        if (spanPayload) outbox?.enqueue(upstreams, spanPayload, received.length, { signal: 'traces' });
        if (logPayload) outbox?.enqueue(upstreams, logPayload, logs.length, { signal: 'logs' });
        if (metricPayload) outbox?.enqueue(upstreams, metricPayload, points, { signal: 'metrics' });
      });
    } catch (error) {
      if (outbox && (spanPayload || logPayload || metricPayload)) outbox.recount();
      throw error;
    }
    const enqueued: EnqueuedPayload[] = [];
    if (spanPayload) enqueued.push({ signal: 'traces', count: received.length, bytes: spanPayload.byteLength });
    if (logPayload) enqueued.push({ signal: 'logs', count: logs.length, bytes: logPayload.byteLength });
    if (metricPayload) enqueued.push({ signal: 'metrics', count: points, bytes: metricPayload.byteLength });
    return { crossings, enqueued };
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
