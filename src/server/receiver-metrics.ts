/**
 * The receivers' Prometheus series, registered once per registry and shared
 * by OTLP/HTTP and OTLP/gRPC: items received, accepted and rejected per
 * signal (spans keep their original names), and requests by status per
 * transport.
 */
import type { OtlpSignal } from '../model/signals.js';
import type { Counter, MetricsRegistry } from './metrics.js';

export interface ExportOutcome {
  signal: OtlpSignal;
  /** The HTTP status, or the gRPC status code's name (`OK`, `UNAVAILABLE`…). */
  status: string;
  accepted: number;
  rejected: number;
  durationMillis: number;
}

export type RecordOutcome = (outcome: ExportOutcome) => void;

interface ItemCounters {
  received: Counter;
  accepted: Counter;
  rejected: Counter;
}

const ITEM_SERIES: Readonly<Record<OtlpSignal, { prefix: string; noun: string }>> = {
  traces: { prefix: 'skein_spans', noun: 'Spans' },
  logs: { prefix: 'skein_log_records', noun: 'Log records' },
  metrics: { prefix: 'skein_metric_points', noun: 'Metric data points' },
};

const registered = new WeakMap<MetricsRegistry, Record<OtlpSignal, ItemCounters>>();

function itemCounters(metrics: MetricsRegistry): Record<OtlpSignal, ItemCounters> {
  let counters = registered.get(metrics);
  if (counters === undefined) {
    const make = (signal: OtlpSignal): ItemCounters => {
      const { prefix, noun } = ITEM_SERIES[signal];
      return {
        received: metrics.counter(`${prefix}_received_total`, `${noun} received over OTLP (HTTP and gRPC).`),
        accepted: metrics.counter(`${prefix}_accepted_total`, `${noun} acknowledged (durably committed).`),
        rejected: metrics.counter(`${prefix}_rejected_total`, `${noun} rejected (partial success, or refused by the store).`),
      };
    };
    counters = { traces: make('traces'), logs: make('logs'), metrics: make('metrics') };
    registered.set(metrics, counters);
  }
  return counters;
}

/** Records each OTLP/HTTP export: `skein_http_requests_total{status}` and its latency, and the items per signal. */
export function httpOutcomeRecorder(metrics: MetricsRegistry): RecordOutcome {
  const items = itemCounters(metrics);
  const requests = metrics.counter('skein_http_requests_total', 'OTLP/HTTP export requests (every signal) by status.');
  const latency = metrics.histogram('skein_http_request_duration_seconds', 'OTLP/HTTP export request latency.');
  return (outcome) => {
    const { status } = outcome;
    requests.inc({ status });
    latency.observe(outcome.durationMillis / 1000, { status });
    countItems(items[outcome.signal], outcome);
  };
}

/** Records each OTLP/gRPC export: `skein_grpc_requests_total{signal,code}` and its latency, and the items per signal. */
export function grpcOutcomeRecorder(metrics: MetricsRegistry): RecordOutcome {
  const items = itemCounters(metrics);
  const requests = metrics.counter('skein_grpc_requests_total', 'OTLP/gRPC Export calls by signal and status code.');
  const latency = metrics.histogram('skein_grpc_request_duration_seconds', 'OTLP/gRPC Export call latency.');
  return (outcome) => {
    const { signal, status } = outcome;
    requests.inc({ signal, code: status });
    latency.observe(outcome.durationMillis / 1000, { signal });
    countItems(items[signal], outcome);
  };
}

function countItems(counters: ItemCounters, { accepted, rejected }: ExportOutcome): void {
  counters.received.inc({}, accepted + rejected);
  counters.accepted.inc({}, accepted);
  counters.rejected.inc({}, rejected);
}
