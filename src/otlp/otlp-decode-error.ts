import type { RawSpan } from '../model/types.js';

/** The two OTLP/HTTP body encodings: `application/x-protobuf` and `application/json`. */
export type OtlpFormat = 'protobuf' | 'json';

/**
 * A request body that is not a decodable `ExportTraceServiceRequest`. The
 * receiver answers it with HTTP 400 and a `google.rpc.Status` carrying this
 * message, so the message says what was wrong and where (field path, byte
 * offset for protobuf).
 */
export class OtlpDecodeError extends Error {
  override readonly name = 'OtlpDecodeError';
}

/** What a decoded request holds: the spans that can be kept, and a count and summary of those that cannot. */
export interface DecodedTraces {
  /**
   * The spans that can be kept, in request order. Spans from one
   * `ResourceSpans` share one `resource` object and spans from one
   * `ScopeSpans` one `scope` object: treat them as read-only.
   */
  spans: RawSpan[];
  /** Spans rejected one by one (bad id length, all-zero ids, kind or status code out of range). */
  rejectedSpans: number;
  /** Human-readable summary for `partial_success.error_message`; null when nothing was rejected. */
  rejectionMessage: string | null;
}
