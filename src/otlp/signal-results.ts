/**
 * What the logs and metrics decoders return, and the per-item checks they
 * share. As with spans (span-rejections.ts), a request that cannot be parsed
 * is an OtlpDecodeError (the receiver's 400), while one item that cannot be
 * kept faithfully (a time past what the store holds, an enum out of range, a
 * count beyond 32 bits, a number point with no value) is left out, counted
 * and named for `partial_success`.
 */
import type { RawLogRecord } from '../model/log-types.js';
import type { RawMetric, Temporality } from '../model/metric-types.js';
import { timeProblem } from './span-rejections.js';

export interface DecodedLogs {
  /** Records from one ResourceLogs share one `resource`, from one ScopeLogs one `scope`: read-only. */
  records: RawLogRecord[];
  rejectedRecords: number;
  /** For `partial_success.error_message`; null when nothing was rejected. */
  rejectionMessage: string | null;
}

export interface DecodedMetrics {
  /** Metrics that kept at least one point, in request order. */
  metrics: RawMetric[];
  /** Points kept, over all metrics. */
  dataPoints: number;
  /** OTLP counts metrics rejections in data points (`rejected_data_points`). */
  rejectedDataPoints: number;
  /** Exemplars seen and not kept. */
  droppedExemplars: number;
  rejectionMessage: string | null;
}

const MAX_REASONS_LISTED = 5;

/** Counts rejected items and keeps the first few reasons, like SpanRejections for another noun. */
export class ItemRejections {
  count = 0;
  private readonly reasons: string[] = [];
  constructor(private readonly singular: string, private readonly plural: string) {}

  reject(path: string, reason: string, items = 1): void {
    this.count += items;
    if (this.reasons.length < MAX_REASONS_LISTED) this.reasons.push(`${path}: ${reason}`);
  }

  message(): string | null {
    if (this.count === 0) return null;
    const more = this.reasons.length === MAX_REASONS_LISTED ? ' and more' : '';
    return `${this.count} ${this.count === 1 ? this.singular : this.plural} rejected: ${this.reasons.join('; ')}${more}`;
  }
}

export const logPath = (resource: number, scope: number, record: number): string =>
  `resourceLogs[${resource}].scopeLogs[${scope}].logRecords[${record}]`;

export const metricPath = (resource: number, scope: number, metric: number): string =>
  `resourceMetrics[${resource}].scopeMetrics[${scope}].metrics[${metric}]`;

export const SEVERITY_NAMES: Readonly<Record<string, number>> = Object.freeze(
  Object.fromEntries([
    ['SEVERITY_NUMBER_UNSPECIFIED', 0],
    ...['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'].flatMap((level, i) =>
      ['', '2', '3', '4'].map((suffix, j): [string, number] => [`SEVERITY_NUMBER_${level}${suffix}`, i * 4 + j + 1]),
    ),
  ]),
);

export const TEMPORALITY_NAMES: Readonly<Record<string, number>> = Object.freeze({
  AGGREGATION_TEMPORALITY_UNSPECIFIED: 0,
  AGGREGATION_TEMPORALITY_DELTA: 1,
  AGGREGATION_TEMPORALITY_CUMULATIVE: 2,
});

const TEMPORALITIES: readonly Temporality[] = ['unspecified', 'delta', 'cumulative'];

/** The temporality for an OTLP enum number, or null when it is none. */
export function temporalityOf(value: number | bigint): Temporality | null {
  return typeof value === 'number' && value >= 0 && value <= 2 ? TEMPORALITIES[value] : null;
}

export function severityProblem(value: number | bigint): string | null {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 24
    ? null
    : `severityNumber ${value} is not a SeverityNumber (0-24)`;
}

/** A data point's times: a zero time SHOULD be rejected (metrics.proto), and both must fit the store. */
export function pointTimeProblem(timeUnixNano: bigint, startTimeUnixNano: bigint): string | null {
  if (timeUnixNano === 0n) return 'timeUnixNano is missing (0)';
  return timeProblem('timeUnixNano', timeUnixNano) ?? timeProblem('startTimeUnixNano', startTimeUnixNano);
}

/** A decoded id as logs.proto says to read it: wrong length or all zeroes means "not associated". */
export function validIdOrNull(hex: string, bytes: number): string | null {
  if (hex.length !== bytes * 2) return null;
  for (let i = 0; i < hex.length; i++) if (hex.charCodeAt(i) !== 0x30) return hex;
  return null;
}
