/**
 * Where each OTLP signal goes on an upstream, for both transports: the
 * OTLP/HTTP path (`/v1/traces`, `/v1/logs`, `/v1/metrics`) and the OTLP/gRPC
 * method (`<Signal>Service/Export`). One rule for every outbound path of Skein.
 */
import type { OtlpSignal } from '../model/signals.js';
import { otlpTracesUrl } from './traces-url.js';

/** The full method path of each signal's `Export` (opentelemetry-proto, collector/<signal>/v1). */
export const OTLP_EXPORT_PATHS: Readonly<Record<OtlpSignal, string>> = {
  traces: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
  logs: '/opentelemetry.proto.collector.logs.v1.LogsService/Export',
  metrics: '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export',
};

const SIGNAL_PATH = /\/v1\/(traces|logs|metrics)\/?$/;

/**
 * The URL a signal is POSTed to for an OTLP/HTTP endpoint:
 * - a bare base (`http://collector:4318`) gets `/v1/<signal>`;
 * - a URL ending in a signal's path (`https://gw.example/otlp/v1/traces`)
 *   sends each signal to its sibling (`…/otlp/v1/logs`, `…/otlp/v1/metrics`);
 * - any other path is used as given for traces (gateways with their own
 *   trace path keep working) and taken as a base for logs and metrics
 *   (`https://gw.example/otlp` → `…/otlp/v1/logs`), as OTLP's
 *   `OTEL_EXPORTER_OTLP_ENDPOINT` is.
 * The query string is kept.
 */
export function otlpSignalUrl(endpoint: string, signal: OtlpSignal): string {
  const url = new URL(endpoint);
  if (SIGNAL_PATH.test(url.pathname)) {
    url.pathname = url.pathname.replace(SIGNAL_PATH, `/v1/${signal}`);
    return url.toString();
  }
  if (signal === 'traces') return otlpTracesUrl(endpoint);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/v1/${signal}`;
  return url.toString();
}
