import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { otlpTracesUrl } from '../src/index.js';

export interface OtlpForwardExporterOptions {
  /** A collector's base endpoint (`http://host:4318`, gets `/v1/traces`) or the full traces URL. */
  url: string;
  headers?: Record<string, string>;
  /** Per-request timeout. Default 10 000 (the OTLP exporter's own default). */
  timeoutMillis?: number;
}

/**
 * A `SpanExporter` that sends spans as OTLP/HTTP JSON to another collector,
 * using the official OpenTelemetry exporter (its retries, timeouts and
 * encoding). Pass it as `forward` to `SkeinSpanProcessor`.
 */
export function createOtlpForwardExporter(options: OtlpForwardExporterOptions): SpanExporter {
  const { url, headers, timeoutMillis = 10_000 } = options;
  return new OTLPTraceExporter({ url: otlpTracesUrl(url), headers, timeoutMillis });
}
