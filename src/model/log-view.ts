/**
 * The JSON views of stored log records and metric points: one shape for every
 * reader (the query API, the live stream's `log` events, `skein logs --json`),
 * so a client can merge a streamed record into a fetched page by `id`.
 * Nanosecond times and 64-bit integers travel as decimal strings (exact),
 * bytes as base64, kvlist values as objects (`jsonSafe`). Resource and scope
 * are shown as spans show them: the resource's attributes, the scope's name
 * and version.
 */

import { jsonSafe } from './json-safe.js';
import type { StoredLogRecord } from './log-types.js';
import type { MetricType, StoredMetricPoint, Temporality } from './metric-types.js';
import type { InstrumentationScope } from './types.js';

export interface ScopeJson {
  name: string;
  version: string;
}

export interface LogRecordJson {
  id: number;
  sessionId: string | null;
  traceId: string | null;
  spanId: string | null;
  /** Decimal nanoseconds; "0" when the sender gave no time. */
  timeUnixNano: string;
  observedTimeUnixNano: string;
  severityNumber: number;
  severityText: string;
  /** '' when the record is not an event. */
  eventName: string;
  /** Any AnyValue, JSON-safe; null when absent. */
  body: unknown;
  attributes: Record<string, unknown>;
  /** The resource's attributes. */
  resource: Record<string, unknown>;
  scope: ScopeJson;
}

export interface MetricPointJson {
  id: number;
  name: string;
  description: string;
  unit: string;
  type: MetricType;
  temporality: Temporality | null;
  monotonic: boolean | null;
  sessionId: string | null;
  startTimeUnixNano: string;
  timeUnixNano: string;
  attributes: Record<string, unknown>;
  flags: number;
  /** Number points: a double as a number, an integer as a decimal string; null for other types. */
  value: number | string | null;
  /** Decimal string (a 64-bit count). */
  count: string | null;
  sum: number | null;
  min: number | null;
  max: number | null;
  /** Buckets or quantiles as `StoredMetricPoint.detail` holds them, counts as decimal strings. */
  detail: Record<string, unknown> | null;
  resource: Record<string, unknown>;
  scope: ScopeJson;
}

function scopeJson(scope: InstrumentationScope): ScopeJson {
  return { name: scope.name, version: scope.version };
}

export function logRecordJson(record: StoredLogRecord): LogRecordJson {
  return {
    id: record.id,
    sessionId: record.sessionId,
    traceId: record.traceId,
    spanId: record.spanId,
    timeUnixNano: record.timeUnixNano.toString(),
    observedTimeUnixNano: record.observedTimeUnixNano.toString(),
    severityNumber: record.severityNumber,
    severityText: record.severityText,
    eventName: record.eventName,
    body: jsonSafe(record.body),
    attributes: jsonSafe(record.attributes) as Record<string, unknown>,
    resource: jsonSafe(record.resource.attributes) as Record<string, unknown>,
    scope: scopeJson(record.scope),
  };
}

export function metricPointJson(point: StoredMetricPoint): MetricPointJson {
  return {
    id: point.id,
    name: point.name,
    description: point.description,
    unit: point.unit,
    type: point.type,
    temporality: point.temporality,
    monotonic: point.monotonic,
    sessionId: point.sessionId,
    startTimeUnixNano: point.startTimeUnixNano.toString(),
    timeUnixNano: point.timeUnixNano.toString(),
    attributes: jsonSafe(point.attributes) as Record<string, unknown>,
    flags: point.flags,
    value: typeof point.value === 'bigint' ? point.value.toString() : point.value,
    count: point.count === null ? null : point.count.toString(),
    sum: point.sum,
    min: point.min,
    max: point.max,
    detail: point.detail === null ? null : (jsonSafe(point.detail) as Record<string, unknown>),
    resource: jsonSafe(point.resource.attributes) as Record<string, unknown>,
    scope: scopeJson(point.scope),
  };
}
