/**
 * What every ingest commit does, whichever store it writes to (ingest-commit.ts for SQLite,
 * pg-ingest-commit.ts for PostgreSQL): the received batch redacted and encoded for the upstreams
 * once (`receiveBatch`), then, inside the store's transaction, the records to write made from it
 * (`recordsToWrite`: normalized, kept, enriched from what the store holds).
 */
import { stepsFromEvents } from '../model/agents/index.js';
import type { BudgetEventRecord } from '../model/budgets.js';
import type { RawLogRecord } from '../model/log-types.js';
import type { RawMetric } from '../model/metric-types.js';
import type { OtlpSignal } from '../model/signals.js';
import type { RawSpan, SpanRecord } from '../model/types.js';
import { encodeLogsRequest, encodeMetricsRequest, encodeTraceRequest } from '../otlp/index.js';
import { enrichAgentSpans, stretchStoredTurns } from './agent-enrichment.js';
import { joinAgentUsage } from './agent-usage-join.js';
import type { Reading } from './commit-reads.js';
import { attachGenAiConversations } from './genai-event-enrichment.js';
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

/** A received batch, redacted, with what each upstream gets of it. */
export interface ReceivedBatch {
  /** The spans as received, redacted: what is normalized and what upstreams get. */
  spans: RawSpan[];
  logs: RawLogRecord[];
  metrics: RawMetric[];
  /** The log records and metrics the keep-filters keep: what is stored. */
  keptLogs: RawLogRecord[];
  keptMetrics: RawMetric[];
  /** Encoded before the store's transaction; null without upstreams or without items of the signal. */
  spanPayload: Uint8Array | null;
  logPayload: Uint8Array | null;
  metricPayload: Uint8Array | null;
  metricPoints: number;
}

/** Redacts every signal of what was received and, with upstreams, encodes each signal's payload. */
export function receiveBatch(work: RawSpan[] | SignalBatch, ingest: Ingest, forwarding: boolean): ReceivedBatch {
  const { redactor, keepLog, keepMetric } = ingest;
  const batch = asSignalBatch(work);
  const spans = batch.spans.length === 0 ? batch.spans : redactor.redactSpans(batch.spans);
  const logs = batch.logs.length === 0 ? batch.logs : redactor.redactLogs(batch.logs);
  const metrics = batch.metrics.length === 0 ? batch.metrics : redactor.redactMetrics(batch.metrics);
  return {
    spans,
    logs,
    metrics,
    keptLogs: keepLog && logs.length > 0 ? logs.filter(keepLog) : logs,
    keptMetrics: keepMetric && metrics.length > 0 ? metrics.filter(keepMetric) : metrics,
    // Spans are encoded again inside the transaction only in the rare batch that crossed a budget.
    spanPayload: forwarding && spans.length > 0 ? encodeTraceRequest(spans, 'protobuf') : null,
    logPayload: forwarding && logs.length > 0 ? encodeLogsRequest(logs) : null,
    metricPayload: forwarding && metrics.length > 0 ? encodeMetricsRequest(metrics) : null,
    metricPoints: metricPointCount(metrics),
  };
}

/**
 * The span records to write, made afresh each time it runs (a retried PostgreSQL transaction runs it
 * again): the received spans normalized and kept, an agent's steps made from its log events, and what
 * the store holds enriching them (and stored spans they enrich, to write again). Read in the
 * transaction that writes them.
 */
export function* recordsToWrite(batch: ReceivedBatch, ingest: Ingest): Reading<SpanRecord[]> {
  const { normalize, keep, settings } = ingest;
  const { keptLogs } = batch;
  let records = batch.spans.map(normalize);
  if (keep) records = records.filter(keep);
  // An agent that sends only log events (Claude Code by default) gets its steps made from them: stored
  // with the spans, never forwarded (upstreams get what arrived).
  const derived: RawSpan[] = keptLogs.length === 0 ? [] : stepsFromEvents(keptLogs);
  // An agent's events that enrich its spans (cost, answer), either first.
  const enriched = yield* enrichAgentSpans(records, keptLogs, normalize, settings.maxTextLength);
  if (enriched.length > 0) records = records.concat(enriched);
  // OTel GenAI events (the messages sent, the choices) as their call's input and output; either first.
  const conversed = yield* attachGenAiConversations(records, keptLogs, normalize, settings.maxTextLength);
  if (conversed.length > 0) records = records.concat(conversed);
  // A model call's tokens its span lacks (Gemini CLI's cached and thought tokens), from its event; either first.
  const joined = yield* joinAgentUsage(records, keptLogs, normalize);
  if (joined.length > 0) records = records.concat(joined);
  if (derived.length > 0) {
    // Normalized here: a turn made in an earlier request may end later than these steps say.
    const turns = yield* stretchStoredTurns(derived, normalize);
    records = records.concat(derived.map(normalize), turns);
  }
  return records;
}

/** The spans' payload for the upstreams: with each crossing's event on the span that crossed, as stored. */
export function spanPayloadWith(batch: ReceivedBatch, crossings: readonly BudgetEventRecord[]): Uint8Array | null {
  if (batch.spanPayload === null || !crossings.some((c) => c.spanId !== null)) return batch.spanPayload;
  return encodeTraceRequest(withBudgetEvents(batch.spans, crossings), 'protobuf');
}

/** What was queued for each upstream, one payload per signal received. */
export function enqueuedOf(batch: ReceivedBatch, spanPayload: Uint8Array | null): EnqueuedPayload[] {
  const enqueued: EnqueuedPayload[] = [];
  if (spanPayload) enqueued.push({ signal: 'traces', count: batch.spans.length, bytes: spanPayload.byteLength });
  if (batch.logPayload) enqueued.push({ signal: 'logs', count: batch.logs.length, bytes: batch.logPayload.byteLength });
  if (batch.metricPayload) enqueued.push({ signal: 'metrics', count: batch.metricPoints, bytes: batch.metricPayload.byteLength });
  return enqueued;
}
