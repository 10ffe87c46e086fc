import { decodeJsonTraceRequest } from './decode-json.js';
import { decodeProtobufTraceRequest } from './decode-protobuf.js';
import type { DecodedTraces, OtlpFormat } from './otlp-decode-error.js';

export { OtlpDecodeError } from './otlp-decode-error.js';
export type { DecodedTraces, OtlpFormat } from './otlp-decode-error.js';

/**
 * Decodes an OTLP/HTTP `ExportTraceServiceRequest` body (already gunzipped).
 *
 * - Throws `OtlpDecodeError` when the body is not a decodable request (the
 *   receiver's 400); its message names the field path, and the byte offset
 *   for protobuf.
 * - Spans that cannot be kept are left out one by one and counted in
 *   `rejectedSpans`, with `rejectionMessage` for `partial_success`.
 * - An empty body is an empty request: zero spans (the spec: the server
 *   SHOULD answer an empty request with success).
 */
export function decodeTraceRequest(body: Uint8Array, format: OtlpFormat): DecodedTraces {
  if (body.byteLength === 0) return { spans: [], rejectedSpans: 0, rejectionMessage: null };
  return format === 'protobuf' ? decodeProtobufTraceRequest(body) : decodeJsonTraceRequest(body);
}
