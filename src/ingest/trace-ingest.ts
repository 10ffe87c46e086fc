import type { RawLogRecord } from '../model/log-types.js';
import type { RawMetric } from '../model/metric-types.js';
import type { RawSpan } from '../model/types.js';

/**
 * Where the OTLP receiver hands decoded spans. The contract the receiver
 * relies on to acknowledge a request: `ingest` resolves only once the spans
 * are durable (stored and, when forwarding, queued in the outbox in the same
 * commit); it rejects with `IngestOverloadedError` when it cannot take more
 * right now, and the client is told to retry; with `SpansRefusedError` when
 * the store refuses these spans for good, and the client is told not to.
 */
export interface TraceIngest {
  ingest(spans: readonly RawSpan[]): Promise<void>;
}

/**
 * The collector's pipeline takes every signal, with the same contract as
 * `TraceIngest.ingest`: log records and metrics share the spans' group
 * commits, redaction, outbox and errors (`SpansRefusedError` names "records").
 */
export interface SignalIngest extends TraceIngest {
  ingestLogs(records: readonly RawLogRecord[]): Promise<void>;
  ingestMetrics(metrics: readonly RawMetric[]): Promise<void>;
}

/** The writer cannot keep up; answer 503 with Retry-After instead of queueing without bound. */
export class IngestOverloadedError extends Error {
  override name = 'IngestOverloadedError';
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

/**
 * The request's own records (spans, log records or metric points) made the
 * commit fail, while other requests committed: retrying the same records
 * would fail the same way. Its `cause` is what the store threw.
 */
export class SpansRefusedError extends Error {
  override readonly name = 'SpansRefusedError';
  /** `noun`: what the request held (`spans`, `log records`, `metric points`), for the message. */
  constructor(cause: unknown, noun = 'spans') {
    super(`the store refused these ${noun}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}
