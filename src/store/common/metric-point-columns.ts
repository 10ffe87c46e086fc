/**
 * A metric point's values as both stores' `metric_points` columns hold them,
 * and a read row back as a `StoredMetricPoint`. How each store encodes the
 * doubles (SQLite: NaN as text; PostgreSQL: float8 input text) stays with it.
 */

import { decodeStorable } from '../../model/attributes-codec.js';
import type {
  ExponentialHistogramPoint,
  HistogramPoint,
  MetricType,
  NumberPoint,
  RawMetric,
  StoredMetricPoint,
  SummaryPoint,
} from '../../model/metric-types.js';
import type { Attributes, InstrumentationScope, SpanResource } from '../../model/types.js';
import type { StreamHeader } from './signal-keys.js';
import { uint64FromColumn } from './uint64-column.js';

/** The value columns of a point: what its type has, null for the rest; `detail` is the type's remaining fields. */
export type PointValues = Pick<StoredMetricPoint, 'value' | 'count' | 'sum' | 'min' | 'max' | 'detail'>;

export function pointValuesOf(type: MetricType, point: RawMetric['points'][number]): PointValues {
  switch (type) {
    case 'gauge':
    case 'sum':
      return { value: (point as NumberPoint).value, count: null, sum: null, min: null, max: null, detail: null };
    case 'histogram': {
      const p = point as HistogramPoint;
      const detail = { bucketCounts: p.bucketCounts, explicitBounds: p.explicitBounds };
      return { value: null, count: p.count, sum: p.sum, min: p.min, max: p.max, detail };
    }
    case 'exponentialHistogram': {
      const p = point as ExponentialHistogramPoint;
      const detail = { scale: p.scale, zeroCount: p.zeroCount, zeroThreshold: p.zeroThreshold, positive: p.positive, negative: p.negative };
      return { value: null, count: p.count, sum: p.sum, min: p.min, max: p.max, detail };
    }
    case 'summary': {
      const p = point as SummaryPoint;
      return { value: null, count: p.count, sum: p.sum, min: null, max: null, detail: { quantileValues: p.quantileValues } };
    }
  }
}

/** A read point, its doubles already decoded by the store: the header, resource and scope are codec JSON. */
export interface ReadPointColumns {
  id: bigint;
  name: string;
  header: string;
  session_id: string | null;
  start_ns: bigint;
  time_ns: bigint;
  flags: bigint;
  value: bigint | number | null;
  count: bigint | null;
  sum: number | null;
  min: number | null;
  max: number | null;
  detail: string | null;
  attributes: string;
  resource: string;
  scope: string;
}

export function storedMetricPointOf(row: ReadPointColumns): StoredMetricPoint {
  const header = decodeStorable<StreamHeader>(row.header);
  return {
    id: Number(row.id),
    name: row.name,
    description: header.description,
    unit: header.unit,
    type: header.type,
    temporality: header.temporality,
    monotonic: header.monotonic,
    sessionId: row.session_id,
    startTimeUnixNano: uint64FromColumn(row.start_ns),
    timeUnixNano: uint64FromColumn(row.time_ns),
    attributes: decodeStorable<Attributes>(row.attributes),
    flags: Number(row.flags),
    value: row.value,
    count: row.count === null ? null : uint64FromColumn(row.count),
    sum: row.sum,
    min: row.min,
    max: row.max,
    detail: row.detail === null ? null : decodeStorable<Record<string, unknown>>(row.detail),
    resource: decodeStorable<SpanResource>(row.resource),
    scope: decodeStorable<InstrumentationScope>(row.scope),
  };
}
