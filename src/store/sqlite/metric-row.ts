/**
 * A metric point as a `metric_points` row (migration 007) and back, its
 * metric's header interned in `metric_streams`. Integer values and counts
 * stay exact INTEGERs; doubles are REALs, a NaN the text 'NaN' (SQLite would
 * store a NaN REAL as NULL).
 */

import { encodeStorable } from '../../model/attributes-codec.js';
import type { MetricType, RawMetric, StoredMetricPoint } from '../../model/metric-types.js';
import { pointValuesOf, storedMetricPointOf } from '../common/metric-point-columns.js';
import { uint64Column } from '../common/uint64-column.js';

export const POINT_INSERT_SQL = `INSERT INTO metric_points (stream_id, session_ref, start_ns, time_ns, flags, value,
  count, sum, min, max, detail, resource_id, scope_id, attributes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

export interface PointRowRefs {
  streamId: number;
  sessionRef: number | null;
  resourceId: number;
  scopeId: number;
}

function toColumn<T extends bigint | number | null>(value: T): T | 'NaN' {
  return typeof value === 'number' && Number.isNaN(value) ? 'NaN' : value;
}

function fromColumn<T extends bigint | number | null>(value: T | string): T {
  return (typeof value === 'string' ? Number.NaN : value) as T;
}

export function pointRowValues(type: MetricType, point: RawMetric['points'][number], refs: PointRowRefs): unknown[] {
  const c = pointValuesOf(type, point);
  return [
    refs.streamId,
    refs.sessionRef,
    uint64Column(point.startTimeUnixNano),
    uint64Column(point.timeUnixNano),
    point.flags,
    toColumn(c.value),
    c.count === null ? null : uint64Column(c.count),
    toColumn(c.sum),
    toColumn(c.min),
    toColumn(c.max),
    c.detail === null ? null : encodeStorable(c.detail),
    refs.resourceId,
    refs.scopeId,
    encodeStorable(point.attributes),
  ];
}

export const POINT_ROW_SELECT = `p.id, ms.name, ms.body AS stream_body, ss.text AS session_id, p.start_ns, p.time_ns,
  p.flags, p.value, p.count, p.sum, p.min, p.max, p.detail, r.body AS resource_body, sc.body AS scope_body, p.attributes
  FROM metric_points p
  JOIN metric_streams ms ON ms.id = p.stream_id
  LEFT JOIN signal_strings ss ON ss.id = p.session_ref
  JOIN resources r ON r.id = p.resource_id
  JOIN resources sc ON sc.id = p.scope_id`;

/** A row as read with safe integers. */
export interface PointRow {
  id: bigint;
  name: string;
  stream_body: string;
  session_id: string | null;
  start_ns: bigint;
  time_ns: bigint;
  flags: bigint;
  value: bigint | number | string | null;
  count: bigint | null;
  sum: number | string | null;
  min: number | string | null;
  max: number | string | null;
  detail: string | null;
  resource_body: string;
  scope_body: string;
  attributes: string;
}

export function rowToMetricPoint(row: PointRow): StoredMetricPoint {
  return storedMetricPointOf({
    ...row,
    header: row.stream_body,
    value: fromColumn(row.value),
    sum: fromColumn(row.sum),
    min: fromColumn(row.min),
    max: fromColumn(row.max),
    resource: row.resource_body,
    scope: row.scope_body,
  });
}
