import type { RawSpan } from '../model/types.js';

/**
 * Where the OTLP receiver hands decoded spans. The contract the receiver
 * relies on to acknowledge a request: `ingest` resolves only once the spans
 * are durable (stored and, when forwarding, queued in the outbox in the same
 * commit); it rejects with `IngestOverloadedError` when it cannot take more
 * right now, and the client is told to retry.
 */
export interface TraceIngest {
  ingest(spans: readonly RawSpan[]): Promise<void>;
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
