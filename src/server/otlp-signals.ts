/**
 * What the receivers (OTLP/HTTP, OTLP/gRPC and the decode threads) need to
 * know per signal, in one table, so each of them is written once for all
 * three: the decoder, the array a decoded request carries its items in, how
 * OTLP counts them, the `partial_success` field, and where they are ingested.
 */
import type { SignalIngest } from '../ingest/trace-ingest.js';
import type { OtlpSignal } from '../model/signals.js';
import { decodeLogsRequest, decodeMetricsRequest, decodeTraceRequest, encodeExportResponse } from '../otlp/index.js';
import type { DecodedLogs, DecodedMetrics, DecodedTraces, OtlpFormat } from '../otlp/index.js';
import type { DecodePool } from './decode-pool.js';

export type { OtlpSignal } from '../model/signals.js';

export interface DecodedBySignal {
  traces: DecodedTraces;
  logs: DecodedLogs;
  metrics: DecodedMetrics;
}

export const SIGNAL_DECODERS: { readonly [S in OtlpSignal]: (body: Uint8Array, format: OtlpFormat) => DecodedBySignal[S] } = {
  traces: decodeTraceRequest,
  logs: decodeLogsRequest,
  metrics: decodeMetricsRequest,
};

/** The array of each decoded form that holds its items (what the decode threads hand back in slices). */
export const ITEMS_KEY = { traces: 'spans', logs: 'records', metrics: 'metrics' } as const satisfies Record<OtlpSignal, string>;

/** What each signal's items are called in messages. */
export const SIGNAL_NOUNS: Readonly<Record<OtlpSignal, string>> = { traces: 'spans', logs: 'log records', metrics: 'metric points' };

/** `Export*PartialSuccess`'s count field, as OTLP/JSON names it (opentelemetry-proto collector/<signal>/v1). */
const REJECTED_JSON_FIELD: Readonly<Record<OtlpSignal, string>> = {
  traces: 'rejectedSpans',
  logs: 'rejectedLogRecords',
  metrics: 'rejectedDataPoints',
};

/** A decoded request in the terms every receiver answers in. */
export interface SignalRequest {
  /** Items as OTLP counts them (spans, log records, metric data points) to be ingested. */
  count: number;
  /** Items the decoder left out one by one (`partial_success`). */
  rejected: number;
  rejectionMessage: string | null;
  /** Hands the items to the pipeline; resolves once durable (nothing to do for an empty request). */
  ingest(into: SignalIngest): Promise<void>;
}

export function signalRequest<S extends OtlpSignal>(signal: S, decoded: DecodedBySignal[S]): SignalRequest {
  switch (signal) {
    case 'traces': {
      const { spans, rejectedSpans, rejectionMessage } = decoded as DecodedTraces;
      return { count: spans.length, rejected: rejectedSpans, rejectionMessage, ingest: (into) => into.ingest(spans) };
    }
    case 'logs': {
      const { records, rejectedRecords, rejectionMessage } = decoded as DecodedLogs;
      return { count: records.length, rejected: rejectedRecords, rejectionMessage, ingest: (into) => into.ingestLogs(records) };
    }
    default: {
      const { metrics, dataPoints, rejectedDataPoints, rejectionMessage } = decoded as DecodedMetrics;
      return { count: dataPoints, rejected: rejectedDataPoints, rejectionMessage, ingest: (into) => into.ingestMetrics(metrics) };
    }
  }
}

/**
 * The `Export<Signal>ServiceResponse`: nothing set on full success, else
 * `partial_success` with the signal's rejected count and the message. Its
 * protobuf form is the same for the three signals (field 1, then int64 1 and
 * string 2); only the JSON field name differs.
 */
export function encodeSignalResponse(signal: OtlpSignal, format: OtlpFormat, rejected: number, errorMessage: string): Uint8Array {
  if (format === 'protobuf' || (rejected === 0 && errorMessage === '')) {
    return encodeExportResponse(format, { rejectedSpans: rejected, errorMessage });
  }
  const partialSuccess: Record<string, string> = {};
  // int64 is a decimal string in OTLP/JSON.
  if (rejected !== 0) partialSuccess[REJECTED_JSON_FIELD[signal]] = String(rejected);
  if (errorMessage !== '') partialSuccess.errorMessage = errorMessage;
  return new TextEncoder().encode(JSON.stringify({ partialSuccess }));
}

/** The `partial_success` of a decoded request, or null for full success. */
export function partialSuccessOf(signal: OtlpSignal, request: SignalRequest): { rejected: number; message: string } | null {
  if (request.rejected === 0) return null;
  return { rejected: request.rejected, message: request.rejectionMessage ?? `${SIGNAL_NOUNS[signal]} rejected` };
}

/** Where and from what size on bodies are decoded off the receiver's thread. */
export interface OffThreadDecoding {
  pool: () => DecodePool;
  /** Bodies (inflated) from this size on decode on the pool; smaller ones inline, where the hop would cost more. */
  fromBytes: number;
}

/** Decodes one request body of `signal` (inline or on the pool, by size). Throws as the decoders and the pool do. */
export async function decodeSignalRequest(
  signal: OtlpSignal,
  body: Uint8Array,
  format: OtlpFormat,
  offThread: OffThreadDecoding,
): Promise<SignalRequest> {
  const decoded =
    body.byteLength >= offThread.fromBytes ? await offThread.pool().decode(body, format, signal) : SIGNAL_DECODERS[signal](body, format);
  return signalRequest(signal, decoded);
}
