/**
 * OTLP/HTTP bodies Skein writes: the export response, and requests for
 * forwarding and exports (the error status: rpc-status.ts).
 *
 * Known limitation of the JS representation: a number attribute with an
 * integral value (3.0 sent as doubleValue) is indistinguishable from 3 once
 * decoded, so it is re-encoded as intValue. bigint and Uint8Array values
 * round-trip exactly; so does everything else in a RawSpan.
 */
import type { RawSpan } from '../model/types.js';
import { encodeJsonExportResponse, encodeJsonTraceRequest } from './encode-json.js';
import { encodeProtobufExportResponse, encodeProtobufTraceRequest } from './encode-protobuf.js';
import type { OtlpFormat } from './otlp-decode-error.js';

export interface PartialSuccess {
  rejectedSpans: number;
  errorMessage: string;
}

/**
 * `ExportTraceServiceResponse`. `partial_success` is written only when spans
 * were rejected or there is a message (the spec: leave it unset on full
 * success; rejected 0 with a message is a warning).
 */
export function encodeExportResponse(format: OtlpFormat, partial?: PartialSuccess): Uint8Array {
  if (partial === undefined || (partial.rejectedSpans === 0 && partial.errorMessage === '')) {
    return format === 'protobuf' ? new Uint8Array(0) : new TextEncoder().encode('{}');
  }
  return format === 'protobuf'
    ? encodeProtobufExportResponse(partial.rejectedSpans, partial.errorMessage)
    : encodeJsonExportResponse(partial.rejectedSpans, partial.errorMessage);
}

/**
 * RawSpan[] → `ExportTraceServiceRequest`, spans grouped by consecutive runs
 * of equal resource and scope, so `decodeTraceRequest(encodeTraceRequest(x))`
 * gives back `x` in order. A null end time is sent as 0 (OTLP has no "open"),
 * which decodes back to null.
 */
export function encodeTraceRequest(spans: readonly RawSpan[], format: OtlpFormat): Uint8Array {
  return format === 'protobuf' ? encodeProtobufTraceRequest(spans) : encodeJsonTraceRequest(spans);
}
