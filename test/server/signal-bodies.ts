/**
 * OTLP logs and metrics request bodies for the receiver tests, in both
 * encodings: protobuf from the generated oracle (not Skein's own encoder),
 * JSON written out as OTLP/JSON senders write it. `rejected` adds one item
 * the decoder must reject one by one (a severity out of range; a data point
 * without a time).
 */
import type { OtlpSignal } from '../../src/model/signals.js';
import type { OtlpFormat } from '../../src/otlp/index.js';
import { opentelemetry } from '../oracle/otlp/generated/otlp.js';
import { long } from '../otlp/oracle-longs.js';

const { ExportLogsServiceRequest } = opentelemetry.proto.collector.logs.v1;
const { ExportMetricsServiceRequest } = opentelemetry.proto.collector.metrics.v1;

export const T = 1_764_000_000_123_456_789n;

export interface BodyOptions {
  /** Items kept (log records, or data points of one sum). Default 2. */
  items?: number;
  /** Adds one item to be rejected. */
  rejected?: boolean;
  /** Every body string gets this suffix (to find it in the store). */
  tag?: string;
}

function logsProtobuf({ items = 2, rejected = false, tag = '' }: BodyOptions): Uint8Array {
  const logRecords = Array.from({ length: items }, (_, i) => ({
    timeUnixNano: long(T + BigInt(i)),
    severityNumber: 9,
    severityText: 'INFO',
    body: { stringValue: `said ${i}${tag}` },
    attributes: [{ key: 'session.id', value: { stringValue: 's-1' } }],
    eventName: 'gen_ai.user.message',
  }));
  if (rejected) logRecords.push({ ...logRecords[0], severityNumber: 99 });
  return ExportLogsServiceRequest.encode({
    resourceLogs: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'agent' } }] }, scopeLogs: [{ scope: { name: 'lib' }, logRecords }] }],
  }).finish();
}

function logsJson({ items = 2, rejected = false, tag = '' }: BodyOptions): string {
  const logRecords: object[] = Array.from({ length: items }, (_, i) => ({
    timeUnixNano: String(T + BigInt(i)),
    severityNumber: 9,
    severityText: 'INFO',
    body: { stringValue: `said ${i}${tag}` },
    attributes: [{ key: 'session.id', value: { stringValue: 's-1' } }],
    eventName: 'gen_ai.user.message',
  }));
  if (rejected) logRecords.push({ ...logRecords[0], severityNumber: 99 });
  return JSON.stringify({
    resourceLogs: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'agent' } }] }, scopeLogs: [{ scope: { name: 'lib' }, logRecords }] }],
  });
}

function metricsProtobuf({ items = 2, rejected = false, tag = '' }: BodyOptions): Uint8Array {
  const dataPoints = Array.from({ length: items }, (_, i) => ({
    timeUnixNano: long(T + BigInt(i)),
    startTimeUnixNano: long(T - 1_000n),
    asInt: long(100n + BigInt(i)),
    attributes: [{ key: 'gen_ai.token.type', value: { stringValue: `input${tag}` } }],
  }));
  if (rejected) dataPoints.push({ ...dataPoints[0], timeUnixNano: long(0n) });
  return ExportMetricsServiceRequest.encode({
    resourceMetrics: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'agent' } }] },
        scopeMetrics: [{ scope: { name: 'lib' }, metrics: [{ name: 'gen_ai.client.token.usage', unit: '{token}', sum: { aggregationTemporality: 2, isMonotonic: true, dataPoints } }] }],
      },
    ],
  }).finish();
}

function metricsJson({ items = 2, rejected = false, tag = '' }: BodyOptions): string {
  const dataPoints: object[] = Array.from({ length: items }, (_, i) => ({
    timeUnixNano: String(T + BigInt(i)),
    startTimeUnixNano: String(T - 1_000n),
    asInt: String(100n + BigInt(i)),
    attributes: [{ key: 'gen_ai.token.type', value: { stringValue: `input${tag}` } }],
  }));
  if (rejected) dataPoints.push({ ...dataPoints[0], timeUnixNano: '0' });
  return JSON.stringify({
    resourceMetrics: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'agent' } }] },
        scopeMetrics: [{ scope: { name: 'lib' }, metrics: [{ name: 'gen_ai.client.token.usage', unit: '{token}', sum: { aggregationTemporality: 'AGGREGATION_TEMPORALITY_CUMULATIVE', isMonotonic: true, dataPoints } }] }],
      },
    ],
  });
}

/** A logs or metrics request body in `format`. */
export function signalBody(signal: Exclude<OtlpSignal, 'traces'>, format: OtlpFormat, options: BodyOptions = {}): Uint8Array {
  if (format === 'protobuf') return signal === 'logs' ? logsProtobuf(options) : metricsProtobuf(options);
  return new TextEncoder().encode(signal === 'logs' ? logsJson(options) : metricsJson(options));
}

/** Malformed bodies: a length past the end (protobuf), an unclosed array (JSON). */
export function malformedBody(signal: Exclude<OtlpSignal, 'traces'>, format: OtlpFormat): Uint8Array {
  if (format === 'protobuf') return new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0x0f, 1]);
  return new TextEncoder().encode(signal === 'logs' ? '{"resourceLogs": [' : '{"resourceMetrics": [');
}
