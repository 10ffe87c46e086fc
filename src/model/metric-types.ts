/**
 * OTLP metrics as they arrived (issue 16), one `RawMetric` per OTLP `Metric`
 * with its data points: the metrics counterpart of `RawSpan` in types.ts.
 * Plain data, no behaviour. Integer counts are exact bigints; exemplars are
 * not kept (the decoders count them).
 */
import type { Attributes, InstrumentationScope, SpanResource } from './types.js';

export const METRIC_TYPES = ['gauge', 'sum', 'histogram', 'exponentialHistogram', 'summary'] as const;
export type MetricType = (typeof METRIC_TYPES)[number];

/** OTLP `AggregationTemporality`: 0 unspecified, 1 delta, 2 cumulative. */
export type Temporality = 'unspecified' | 'delta' | 'cumulative';

/** What every data point has. Times are exact nanoseconds; `startTimeUnixNano` 0n means unknown. */
export interface PointBase {
  attributes: Attributes;
  startTimeUnixNano: bigint;
  timeUnixNano: bigint;
  /** OTLP `DataPointFlags` (bit 0: no recorded value). */
  flags: number;
}

/** A gauge or sum point: `as_int` as a bigint, `as_double` as a number. */
export interface NumberPoint extends PointBase {
  value: bigint | number;
}

export interface HistogramPoint extends PointBase {
  count: bigint;
  /** null when the sender did not set it (it is optional in OTLP). */
  sum: number | null;
  min: number | null;
  max: number | null;
  /** One more count than bounds, or both empty. */
  bucketCounts: bigint[];
  explicitBounds: number[];
}

export interface ExponentialBuckets {
  /** Index of the first bucket in `bucketCounts`. */
  offset: number;
  bucketCounts: bigint[];
}

export interface ExponentialHistogramPoint extends PointBase {
  count: bigint;
  sum: number | null;
  min: number | null;
  max: number | null;
  scale: number;
  zeroCount: bigint;
  zeroThreshold: number;
  positive: ExponentialBuckets;
  negative: ExponentialBuckets;
}

export interface QuantileValue {
  quantile: number;
  value: number;
}

export interface SummaryPoint extends PointBase {
  count: bigint;
  sum: number;
  quantileValues: QuantileValue[];
}

interface MetricHeader {
  name: string;
  description: string;
  unit: string;
  /** `Metric.metadata`: non-identifying attributes of the metric itself. */
  metadata: Attributes;
  resource: SpanResource;
  scope: InstrumentationScope;
}

export type RawMetric = MetricHeader &
  (
    | { type: 'gauge'; points: NumberPoint[] }
    | { type: 'sum'; temporality: Temporality; monotonic: boolean; points: NumberPoint[] }
    | { type: 'histogram'; temporality: Temporality; points: HistogramPoint[] }
    | { type: 'exponentialHistogram'; temporality: Temporality; points: ExponentialHistogramPoint[] }
    | { type: 'summary'; points: SummaryPoint[] }
  );

/**
 * One stored data point with its metric's header, as the store gives it
 * back. Number points have `value`; histograms, exponential histograms and
 * summaries have `count` and `sum` (and `min`/`max` when sent) and their
 * buckets or quantiles in `detail`, as the raw point holds them.
 */
export interface StoredMetricPoint {
  /** Increasing in commit order. */
  id: number;
  name: string;
  description: string;
  unit: string;
  type: MetricType;
  /** Sums and histograms; null for gauges and summaries. */
  temporality: Temporality | null;
  /** Sums only. */
  monotonic: boolean | null;
  /** The point's session key (point attributes, then resource; same precedence as spans), or null. */
  sessionId: string | null;
  startTimeUnixNano: bigint;
  timeUnixNano: bigint;
  attributes: Attributes;
  flags: number;
  value: bigint | number | null;
  count: bigint | null;
  sum: number | null;
  min: number | null;
  max: number | null;
  /** Histogram: `{ bucketCounts, explicitBounds }`; exponential: `{ scale, zeroCount, zeroThreshold, positive, negative }`; summary: `{ quantileValues }`; null otherwise. */
  detail: Record<string, unknown> | null;
  resource: SpanResource;
  scope: InstrumentationScope;
}

/** `listMetricPoints`: in point time order, then id. */
export interface MetricQuery {
  /** Exact metric name. */
  name?: string;
  sessionId?: string;
  /** Inclusive. */
  fromUnixNano?: bigint;
  /** Exclusive. */
  toUnixNano?: bigint;
  /** Default 100, at most 1000. */
  limit?: number;
  cursor?: string;
}
