/**
 * RawMetric[] → binary `ExportMetricsServiceRequest` (metrics.proto's field
 * numbers, test/oracle/otlp/proto/): what the outbox forwards upstream.
 * Metrics are grouped by resource and scope in request order (the shared
 * envelope of encode-protobuf-parts.ts). Every field the decoder reads is
 * written: times, integer values and counts exactly (fixed64/sfixed64 from
 * bigints), optional sum/min/max only when present, temporality and
 * monotonicity, metadata. Exemplars are not kept, so none are sent.
 */
import type {
  ExponentialBuckets,
  ExponentialHistogramPoint,
  HistogramPoint,
  NumberPoint,
  PointBase,
  RawMetric,
  SummaryPoint,
  Temporality,
} from '../model/metric-types.js';
import { I64, LEN, VARINT, type Writer, encodeGrouped, long, tag, writeAttributes, writeFixed64 } from './encode-protobuf-parts.js';

const TEMPORALITY: Readonly<Record<Temporality, number>> = { unspecified: 0, delta: 1, cumulative: 2 };

export function encodeMetricsRequest(metrics: readonly RawMetric[]): Uint8Array {
  return encodeGrouped(metrics, writeMetric);
}

function writeMetric(w: Writer, metric: RawMetric): void {
  if (metric.name !== '') w.uint32(tag(1, LEN)).string(metric.name);
  if (metric.description !== '') w.uint32(tag(2, LEN)).string(metric.description);
  if (metric.unit !== '') w.uint32(tag(3, LEN)).string(metric.unit);
  switch (metric.type) {
    case 'gauge':
      w.uint32(tag(5, LEN)).fork();
      for (const point of metric.points) writePoint(w, point, writeNumberPoint);
      w.ldelim();
      break;
    case 'sum':
      w.uint32(tag(7, LEN)).fork();
      for (const point of metric.points) writePoint(w, point, writeNumberPoint);
      writeTemporality(w, metric.temporality);
      if (metric.monotonic) w.uint32(tag(3, VARINT)).bool(true);
      w.ldelim();
      break;
    case 'histogram':
      w.uint32(tag(9, LEN)).fork();
      for (const point of metric.points) writePoint(w, point, writeHistogramPoint);
      writeTemporality(w, metric.temporality);
      w.ldelim();
      break;
    case 'exponentialHistogram':
      w.uint32(tag(10, LEN)).fork();
      for (const point of metric.points) writePoint(w, point, writeExponentialPoint);
      writeTemporality(w, metric.temporality);
      w.ldelim();
      break;
    case 'summary':
      w.uint32(tag(11, LEN)).fork();
      for (const point of metric.points) writePoint(w, point, writeSummaryPoint);
      w.ldelim();
      break;
  }
  writeAttributes(w, 12, metric.metadata);
}

function writeTemporality(w: Writer, temporality: Temporality): void {
  const value = TEMPORALITY[temporality];
  if (value !== 0) w.uint32(tag(2, VARINT)).int32(value);
}

/** A data point (field 1 of its Gauge, Sum, …). */
function writePoint<T extends PointBase>(w: Writer, point: T, write: (w: Writer, point: T) => void): void {
  w.uint32(tag(1, LEN)).fork();
  if (point.startTimeUnixNano !== 0n) writeFixed64(w, 2, point.startTimeUnixNano);
  if (point.timeUnixNano !== 0n) writeFixed64(w, 3, point.timeUnixNano);
  write(w, point);
  w.ldelim();
}

function writeDouble(w: Writer, field: number, value: number): void {
  w.uint32(tag(field, I64)).double(value);
}

/** NumberDataPoint: attributes 7, as_double 4, as_int 6 (sfixed64), flags 8. The value is always written: it is a oneof. */
function writeNumberPoint(w: Writer, point: NumberPoint): void {
  writeAttributes(w, 7, point.attributes);
  if (typeof point.value === 'bigint') writeFixed64(w, 6, point.value);
  else writeDouble(w, 4, point.value);
  if (point.flags !== 0) w.uint32(tag(8, VARINT)).uint32(point.flags);
}

/** HistogramDataPoint: count 4, sum 5 (optional), buckets 6 and bounds 7 (packed), attributes 9, flags 10, min 11, max 12. */
function writeHistogramPoint(w: Writer, point: HistogramPoint): void {
  if (point.count !== 0n) writeFixed64(w, 4, point.count);
  if (point.sum !== null) writeDouble(w, 5, point.sum);
  if (point.bucketCounts.length > 0) {
    w.uint32(tag(6, LEN)).fork();
    for (const count of point.bucketCounts) w.fixed64(long(count));
    w.ldelim();
  }
  if (point.explicitBounds.length > 0) {
    w.uint32(tag(7, LEN)).fork();
    for (const bound of point.explicitBounds) w.double(bound);
    w.ldelim();
  }
  writeAttributes(w, 9, point.attributes);
  if (point.flags !== 0) w.uint32(tag(10, VARINT)).uint32(point.flags);
  if (point.min !== null) writeDouble(w, 11, point.min);
  if (point.max !== null) writeDouble(w, 12, point.max);
}

/**
 * ExponentialHistogramDataPoint: attributes 1, count 4, sum 5 (optional),
 * scale 6 (sint32), zero_count 7, positive 8, negative 9, flags 10, min 12,
 * max 13, zero_threshold 14.
 */
function writeExponentialPoint(w: Writer, point: ExponentialHistogramPoint): void {
  writeAttributes(w, 1, point.attributes);
  if (point.count !== 0n) writeFixed64(w, 4, point.count);
  if (point.sum !== null) writeDouble(w, 5, point.sum);
  if (point.scale !== 0) w.uint32(tag(6, VARINT)).sint32(point.scale);
  if (point.zeroCount !== 0n) writeFixed64(w, 7, point.zeroCount);
  writeBuckets(w, 8, point.positive);
  writeBuckets(w, 9, point.negative);
  if (point.flags !== 0) w.uint32(tag(10, VARINT)).uint32(point.flags);
  if (point.min !== null) writeDouble(w, 12, point.min);
  if (point.max !== null) writeDouble(w, 13, point.max);
  if (!Object.is(point.zeroThreshold, 0)) writeDouble(w, 14, point.zeroThreshold);
}

/** Buckets: offset 1 (sint32), bucket_counts 2 (packed uint64). */
function writeBuckets(w: Writer, field: number, buckets: ExponentialBuckets): void {
  if (buckets.offset === 0 && buckets.bucketCounts.length === 0) return;
  w.uint32(tag(field, LEN)).fork();
  if (buckets.offset !== 0) w.uint32(tag(1, VARINT)).sint32(buckets.offset);
  if (buckets.bucketCounts.length > 0) {
    w.uint32(tag(2, LEN)).fork();
    for (const count of buckets.bucketCounts) w.uint64(long(count));
    w.ldelim();
  }
  w.ldelim();
}

/** SummaryDataPoint: attributes 7, count 4, sum 5, quantile_values 6 { quantile 1, value 2 }, flags 8. */
function writeSummaryPoint(w: Writer, point: SummaryPoint): void {
  writeAttributes(w, 7, point.attributes);
  if (point.count !== 0n) writeFixed64(w, 4, point.count);
  if (!Object.is(point.sum, 0)) writeDouble(w, 5, point.sum);
  for (const q of point.quantileValues) {
    w.uint32(tag(6, LEN)).fork();
    if (!Object.is(q.quantile, 0)) writeDouble(w, 1, q.quantile);
    if (!Object.is(q.value, 0)) writeDouble(w, 2, q.value);
    w.ldelim();
  }
  if (point.flags !== 0) w.uint32(tag(8, VARINT)).uint32(point.flags);
}
