/**
 * The part of metrics decoding both encodings share: a Metric read so far
 * (`MetricDraft`) becomes a RawMetric once its temporality is checked, and the
 * checks each data point gets. Points that cannot be kept are counted in
 * data points, as `rejected_data_points` is.
 */
import type {
  ExponentialHistogramPoint,
  HistogramPoint,
  MetricType,
  NumberPoint,
  RawMetric,
  SummaryPoint,
} from '../model/metric-types.js';
import type { Attributes, InstrumentationScope, SpanResource } from '../model/types.js';
import { type ItemRejections, pointTimeProblem, temporalityOf } from './signal-results.js';
import { uint32Problem } from './span-rejections.js';

export type AnyPoint = NumberPoint | HistogramPoint | ExponentialHistogramPoint | SummaryPoint;

export interface MetricDraft {
  name: string;
  description: string;
  unit: string;
  metadata: Attributes;
  /** null until a data member (gauge, sum, …) is read: a metric without one has no points to keep. */
  type: MetricType | null;
  temporality: number | bigint;
  monotonic: boolean;
  points: AnyPoint[];
}

export function newDraft(): MetricDraft {
  return { name: '', description: '', unit: '', metadata: {}, type: null, temporality: 0, monotonic: false, points: [] };
}

/** Starts a data member; as in a protobuf oneof, a later member replaces an earlier one. */
export function startData(draft: MetricDraft, type: MetricType): void {
  draft.type = type;
  draft.temporality = 0;
  draft.monotonic = false;
  draft.points = [];
}

/** Why a point cannot be kept, or null. `flags` as read (wider than 32 bits is seen, not cut). */
export function pointProblem(timeUnixNano: bigint, startTimeUnixNano: bigint, flags: number | bigint): string | null {
  return pointTimeProblem(timeUnixNano, startTimeUnixNano) ?? uint32Problem('flags', flags);
}

/** The RawMetric, or null when nothing of it is kept (no data, or every point rejected). */
export function finishMetric(
  draft: MetricDraft,
  resource: SpanResource,
  scope: InstrumentationScope,
  path: string,
  rejections: ItemRejections,
): RawMetric | null {
  const { type, points } = draft;
  if (type === null || points.length === 0) return null;
  const header = { name: draft.name, description: draft.description, unit: draft.unit, metadata: draft.metadata, resource, scope };
  if (type === 'gauge') return { ...header, type, points: points as NumberPoint[] };
  if (type === 'summary') return { ...header, type, points: points as SummaryPoint[] };
  const temporality = temporalityOf(draft.temporality);
  if (temporality === null) {
    rejections.reject(
      `${path}.${type}`,
      `aggregationTemporality ${draft.temporality} is not an AggregationTemporality (0-2)`,
      points.length,
    );
    return null;
  }
  if (type === 'sum') return { ...header, type, temporality, monotonic: draft.monotonic, points: points as NumberPoint[] };
  if (type === 'histogram') return { ...header, type, temporality, points: points as HistogramPoint[] };
  return { ...header, type, temporality, points: points as ExponentialHistogramPoint[] };
}
