/**
 * OTLP/HTTP binary protobuf `ExportMetricsServiceRequest` → RawMetric[],
 * straight from the bytes on the shared OtlpWireReader (KeyValue, AnyValue,
 * Resource, Scope as for spans). Field numbers are metrics.proto's
 * (test/oracle/otlp/proto/). Repeated numbers are read packed or not, as
 * protobuf allows; exemplars are skipped and counted; unknown fields skipped.
 */
import type { ExponentialBuckets, MetricType, RawMetric } from '../model/metric-types.js';
import type { Attributes, InstrumentationScope, SpanResource } from '../model/types.js';
import { type AnyPoint, type MetricDraft, finishMetric, newDraft, pointProblem, startData } from './metric-drafts.js';
import { NO_SCOPE, OtlpEnvelopeReader } from './protobuf-envelope-reader.js';
import { LEN, tag } from './protobuf-otlp-reader.js';
import { type DecodedMetrics, ItemRejections, metricPath } from './signal-results.js';

const DATA_FIELDS: Readonly<Record<number, MetricType>> = { 5: 'gauge', 7: 'sum', 9: 'histogram', 10: 'exponentialHistogram', 11: 'summary' };

export function decodeProtobufMetricsRequest(body: Uint8Array): DecodedMetrics {
  const decoder = new ProtobufMetricsDecoder(body);
  try {
    decoder.request();
  } catch (error) {
    throw decoder.describe(error);
  }
  return {
    metrics: decoder.items,
    dataPoints: decoder.items.reduce((n, m) => n + m.points.length, 0),
    rejectedDataPoints: decoder.rejections.count,
    droppedExemplars: decoder.droppedExemplars,
    rejectionMessage: decoder.rejections.message(),
  };
}

/** Scratch for one data point of any type: every field any point type has. */
interface PointFields {
  attributes: Attributes;
  startTimeUnixNano: bigint;
  timeUnixNano: bigint;
  flags: number | bigint;
  value: bigint | number | null;
  count: bigint;
  sum: number | null;
  min: number | null;
  max: number | null;
  bucketCounts: bigint[];
  explicitBounds: number[];
  scale: number;
  zeroCount: bigint;
  zeroThreshold: number;
  positive: ExponentialBuckets;
  negative: ExponentialBuckets;
  quantileValues: { quantile: number; value: number }[];
}

class ProtobufMetricsDecoder extends OtlpEnvelopeReader<RawMetric> {
  constructor(body: Uint8Array) {
    super(body, { resource: 'resourceMetrics', scope: 'scopeMetrics' });
  }

  readonly rejections = new ItemRejections('data point', 'data points');
  droppedExemplars = 0;
  private resourceNow: SpanResource = { attributes: {}, droppedAttributesCount: 0, schemaUrl: '' };
  private scopeNow: InstrumentationScope = NO_SCOPE;

  protected item(): void {
    this.metric();
  }

  protected itemWhere(): string {
    return metricPath(this.resourceIndex, this.scopeIndex, this.spanIndex);
  }

  private metric(): void {
    const r = this.r;
    const draft = newDraft();
    const path = metricPath(this.resourceIndex, this.scopeIndex, this.spanIndex);
    while (r.pos < r.len) {
      const t = this.nextTag();
      const type = (t & 7) === LEN ? DATA_FIELDS[t >>> 3] : undefined;
      if (type !== undefined) {
        startData(draft, type);
        const saved = this.enter();
        this.data(draft, `${path}.${type}`);
        r.len = saved;
      } else if (t === tag(1, LEN)) draft.name = this.string();
      else if (t === tag(2, LEN)) draft.description = this.string();
      else if (t === tag(3, LEN)) draft.unit = this.string();
      else if (t === tag(12, LEN)) this.keyValue(draft.metadata);
      else this.skip(t);
    }
    const metric = finishMetric(draft, this.resourceNow, this.scopeNow, path, this.rejections);
    if (metric !== null) this.items.push(metric);
  }

  /** Gauge, Sum, Histogram, ExponentialHistogram or Summary: points in 1, temporality in 2, monotonic in 3. */
  private data(draft: MetricDraft, path: string): void {
    const r = this.r;
    let index = 0;
    while (r.pos < r.len) {
      const t = this.nextTag();
      if (t === tag(1, LEN)) {
        const saved = this.enter();
        const point = this.point(draft.type as MetricType);
        r.len = saved;
        if (typeof point === 'string') this.rejections.reject(`${path}.dataPoints[${index}]`, point);
        else draft.points.push(point);
        index++;
      } else if (t === tag(2, 0) && draft.type !== 'gauge' && draft.type !== 'summary') draft.temporality = this.int64();
      else if (t === tag(3, 0) && draft.type === 'sum') draft.monotonic = r.bool();
      else this.skip(t);
    }
  }

  /** One data point of `type`, or why it cannot be kept. */
  private point(type: MetricType): AnyPoint | string {
    const r = this.r;
    const p: PointFields = {
      attributes: {},
      startTimeUnixNano: 0n,
      timeUnixNano: 0n,
      flags: 0,
      value: null,
      count: 0n,
      sum: null,
      min: null,
      max: null,
      bucketCounts: [],
      explicitBounds: [],
      scale: 0,
      zeroCount: 0n,
      zeroThreshold: 0,
      positive: { offset: 0, bucketCounts: [] },
      negative: { offset: 0, bucketCounts: [] },
      quantileValues: [],
    };
    const number = type === 'gauge' || type === 'sum';
    const exponential = type === 'exponentialHistogram';
    // attributes are field 7 (number, summary), 9 (histogram) or 1 (exponential)
    const attributesField = exponential ? 1 : type === 'histogram' ? 9 : 7;
    const flagsField = number || type === 'summary' ? 8 : 10;
    const exemplarsField = number ? 5 : type === 'histogram' ? 8 : exponential ? 11 : -1;
    while (r.pos < r.len) {
      const t = this.nextTag();
      const field = t >>> 3;
      const wire = t & 7;
      if (field === attributesField && wire === LEN) this.keyValue(p.attributes);
      else if (t === tag(2, 1)) p.startTimeUnixNano = this.fixed64();
      else if (t === tag(3, 1)) p.timeUnixNano = this.fixed64();
      else if (field === flagsField && wire === 0) p.flags = this.uint64();
      else if (field === exemplarsField && wire === LEN) {
        this.droppedExemplars++;
        this.skip(t);
      } else if (number && t === tag(4, 1)) p.value = this.double();
      else if (number && t === tag(6, 1)) p.value = this.sfixed64();
      else if (!number && t === tag(4, 1)) p.count = this.fixed64();
      else if (!number && t === tag(5, 1)) p.sum = this.double();
      else if (type === 'histogram' && field === 6 && (wire === 1 || wire === LEN)) this.repeated(t, p.bucketCounts, this.readFixed64);
      else if (type === 'histogram' && field === 7 && (wire === 1 || wire === LEN)) this.repeated(t, p.explicitBounds, this.readDouble);
      else if (type === 'histogram' && t === tag(11, 1)) p.min = this.double();
      else if (type === 'histogram' && t === tag(12, 1)) p.max = this.double();
      else if (exponential && t === tag(6, 0)) p.scale = this.sint32('scale');
      else if (exponential && t === tag(7, 1)) p.zeroCount = this.fixed64();
      else if (exponential && t === tag(8, LEN)) p.positive = this.buckets();
      else if (exponential && t === tag(9, LEN)) p.negative = this.buckets();
      else if (exponential && t === tag(12, 1)) p.min = this.double();
      else if (exponential && t === tag(13, 1)) p.max = this.double();
      else if (exponential && t === tag(14, 1)) p.zeroThreshold = this.double();
      else if (type === 'summary' && t === tag(6, LEN)) p.quantileValues.push(this.quantile());
      else this.skip(t);
    }
    const problem = pointProblem(p.timeUnixNano, p.startTimeUnixNano, p.flags);
    if (problem !== null) return problem;
    const base = { attributes: p.attributes, startTimeUnixNano: p.startTimeUnixNano, timeUnixNano: p.timeUnixNano, flags: p.flags as number };
    if (number) return p.value === null ? 'the point has no value (asInt or asDouble)' : { ...base, value: p.value };
    if (type === 'summary') return { ...base, count: p.count, sum: p.sum ?? 0, quantileValues: p.quantileValues };
    const stats = { count: p.count, sum: p.sum, min: p.min, max: p.max };
    if (type === 'histogram') return { ...base, ...stats, bucketCounts: p.bucketCounts, explicitBounds: p.explicitBounds };
    return {
      ...base,
      ...stats,
      scale: p.scale,
      zeroCount: p.zeroCount,
      zeroThreshold: p.zeroThreshold,
      positive: p.positive,
      negative: p.negative,
    };
  }

  private buckets(): ExponentialBuckets {
    const r = this.r;
    const buckets: ExponentialBuckets = { offset: 0, bucketCounts: [] };
    const saved = this.enter();
    while (r.pos < r.len) {
      const t = this.nextTag();
      if (t === tag(1, 0)) buckets.offset = this.sint32('offset');
      else if (t >>> 3 === 2 && ((t & 7) === 0 || (t & 7) === LEN)) this.repeated(t, buckets.bucketCounts, this.readUint64);
      else this.skip(t);
    }
    r.len = saved;
    return buckets;
  }

  private quantile(): { quantile: number; value: number } {
    const r = this.r;
    const q = { quantile: 0, value: 0 };
    const saved = this.enter();
    while (r.pos < r.len) {
      const t = this.nextTag();
      if (t === tag(1, 1)) q.quantile = this.double();
      else if (t === tag(2, 1)) q.value = this.double();
      else this.skip(t);
    }
    r.len = saved;
    return q;
  }
}
