import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';

export interface OtlpForwardExporterOptions {
  /** A collector's base endpoint (`http://host:4318`) or the full traces URL (`…/v1/traces`). */
  url: string;
  headers?: Record<string, string>;
  /** Per-request timeout. Default 10 000 (the OTLP exporter's own default). */
  timeoutMillis?: number;
}

const TRACES_PATH = '/v1/traces';

/**
 * The traces URL for an endpoint: OTLP's signal path is appended unless the
 * URL already ends with it, the way `OTEL_EXPORTER_OTLP_ENDPOINT` is read.
 */
export function otlpTracesUrl(endpoint: string): string {
  const url = new URL(endpoint);
  const path = url.pathname.replace(/\/+$/, '');
  if (!path.endsWith(TRACES_PATH)) url.pathname = `${path}${TRACES_PATH}`;
  return url.toString();
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
