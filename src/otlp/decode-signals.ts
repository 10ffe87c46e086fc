import { decodeJsonLogsRequest } from './decode-logs-json.js';
import { decodeProtobufLogsRequest } from './decode-logs-protobuf.js';
import { decodeJsonMetricsRequest } from './decode-metrics-json.js';
import { decodeProtobufMetricsRequest } from './decode-metrics-protobuf.js';
import type { OtlpFormat } from './otlp-decode-error.js';
import type { DecodedLogs, DecodedMetrics } from './signal-results.js';

/**
 * Decodes an `ExportLogsServiceRequest` body (already gunzipped), as
 * decodeTraceRequest does for traces: OtlpDecodeError when it is not a
 * decodable request (400 / INVALID_ARGUMENT), records that cannot be kept left
 * out and counted for `partial_success`, and an empty body an empty request.
 */
export function decodeLogsRequest(body: Uint8Array, format: OtlpFormat): DecodedLogs {
  if (body.byteLength === 0) return { records: [], rejectedRecords: 0, rejectionMessage: null };
  return format === 'protobuf' ? decodeProtobufLogsRequest(body) : decodeJsonLogsRequest(body);
}

/** The same for an `ExportMetricsServiceRequest`; rejections are counted in data points, as OTLP reports them. */
export function decodeMetricsRequest(body: Uint8Array, format: OtlpFormat): DecodedMetrics {
  if (body.byteLength === 0) {
    return { metrics: [], dataPoints: 0, rejectedDataPoints: 0, droppedExemplars: 0, rejectionMessage: null };
  }
  return format === 'protobuf' ? decodeProtobufMetricsRequest(body) : decodeJsonMetricsRequest(body);
}
