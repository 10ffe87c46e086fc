import { describe, expect, it } from 'vitest';
import type { PointBase, RawMetric, Temporality } from '../../src/model/metric-types.js';
import type { InstrumentationScope, SpanResource } from '../../src/model/types.js';
import { decodeMetricsRequest, encodeMetricsRequest } from '../../src/otlp/index.js';
import { opentelemetry } from '../oracle/otlp/generated/otlp.js';
import { attributes, big, resource, scope } from './oracle-values.js';

const ExportMetricsServiceRequest = opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
type OracleMetric = opentelemetry.proto.metrics.v1.IMetric;
const MAX_UINT64 = 2n ** 64n - 1n;
const MIN_INT64 = -(2n ** 63n);
const T = 1_764_000_000_123_456_789n;

const agent: SpanResource = { attributes: { 'service.name': 'codex', 'session.id': 's-9' }, droppedAttributesCount: 1, schemaUrl: 'res-schema' };
const meter: InstrumentationScope = { name: 'codex.meter', version: '0.9', attributes: { a: 1 }, droppedAttributesCount: 0, schemaUrl: 'scope-schema' };
const bare: SpanResource = { attributes: {}, droppedAttributesCount: 0, schemaUrl: '' };
const noScope: InstrumentationScope = { name: '', version: '', attributes: {}, droppedAttributesCount: 0, schemaUrl: '' };

const base = (extra: Partial<PointBase> = {}): PointBase => ({ attributes: {}, startTimeUnixNano: 0n, timeUnixNano: T, flags: 0, ...extra });
const header = { description: '', unit: '', metadata: {}, resource: agent, scope: meter };

/** One metric of every type, every optional field both present and absent, extreme integers. */
function richMetrics(): RawMetric[] {
  return [
    {
      ...header,
      name: 'gen_ai.client.token.usage',
      description: 'tokens used',
      unit: '{token}',
      metadata: { 'meta.source': 'sdk', 'meta.n': 2n ** 62n },
      type: 'sum',
      temporality: 'delta',
      monotonic: true,
      points: [
        { ...base({ attributes: { 'gen_ai.token.type': 'input' }, startTimeUnixNano: T - 1n, flags: 1 }), value: MIN_INT64 },
        { ...base({ attributes: { 'gen_ai.token.type': 'output' } }), value: 2n ** 63n - 1n },
        { ...base(), value: 0n },
      ],
    },
    { ...header, name: 'sum.cumulative', type: 'sum', temporality: 'cumulative', monotonic: false, points: [{ ...base(), value: -2.5 }] },
    { ...header, name: 'sum.unspecified', type: 'sum', temporality: 'unspecified', monotonic: true, points: [{ ...base(), value: 0 }] },
    { ...header, name: 'gauge', type: 'gauge', points: [{ ...base({ attributes: { nested: { list: [1, 'x'] } } }), value: 0.1 }, { ...base(), value: 5n }] },
    {
      ...header,
      name: 'histogram',
      type: 'histogram',
      temporality: 'cumulative',
      points: [
        { ...base({ flags: 1 }), count: MAX_UINT64, sum: 12.5, min: -1, max: 0, bucketCounts: [1n, MAX_UINT64, 0n], explicitBounds: [0, 10.5] },
        { ...base(), count: 0n, sum: null, min: null, max: null, bucketCounts: [], explicitBounds: [] },
        { ...base(), count: 1n, sum: 0, min: 0, max: null, bucketCounts: [1n], explicitBounds: [] },
      ],
    },
    {
      ...header,
      name: 'exponential',
      type: 'exponentialHistogram',
      temporality: 'delta',
      points: [
        {
          ...base({ attributes: { k: 'v' } }),
          count: 2n ** 53n + 1n,
          sum: 3.25,
          min: 0.5,
          max: 2,
          scale: -3,
          zeroCount: 7n,
          zeroThreshold: 1e-9,
          positive: { offset: -5, bucketCounts: [1n, 0n, MAX_UINT64] },
          negative: { offset: 2, bucketCounts: [] },
        },
        {
          ...base(),
          count: 0n,
          sum: null,
          min: null,
          max: null,
          scale: 20,
          zeroCount: 0n,
          zeroThreshold: 0,
          positive: { offset: 0, bucketCounts: [] },
          negative: { offset: 0, bucketCounts: [3n] },
        },
      ],
    },
    {
      ...header,
      name: 'summary',
      resource: bare,
      scope: noScope,
      type: 'summary',
      points: [
        { ...base(), count: MAX_UINT64, sum: 99.5, quantileValues: [{ quantile: 0, value: 1 }, { quantile: 0.99, value: 0 }] },
        { ...base(), count: 0n, sum: 0, quantileValues: [] },
      ],
    },
  ];
}

/** The oracle's reading of a Metric in Skein's shape. */
function fromOracle(m: OracleMetric, res: SpanResource, sc: InstrumentationScope): RawMetric {
  const head = { name: m.name ?? '', description: m.description ?? '', unit: m.unit ?? '', metadata: attributes(m.metadata), resource: res, scope: sc };
  const temporality = (n: number | null | undefined): Temporality => (['unspecified', 'delta', 'cumulative'] as const)[n ?? 0];
  const opt = (v: number | null | undefined): number | null => v ?? null;
  type OraclePoint = { attributes?: opentelemetry.proto.common.v1.IKeyValue[] | null; startTimeUnixNano?: unknown; timeUnixNano?: unknown; flags?: number | null };
  const pointBase = (p: OraclePoint): PointBase => ({
    attributes: attributes(p.attributes),
    startTimeUnixNano: big(p.startTimeUnixNano),
    timeUnixNano: big(p.timeUnixNano),
    flags: p.flags ?? 0,
  });
  const numbers = (points: opentelemetry.proto.metrics.v1.INumberDataPoint[] | null | undefined) =>
    (points ?? []).map((p) => ({ ...pointBase(p), value: (p as { value?: string }).value === 'asInt' ? big(p.asInt) : p.asDouble! }));
  if (m.gauge) return { ...head, type: 'gauge', points: numbers(m.gauge.dataPoints) };
  if (m.sum) return { ...head, type: 'sum', temporality: temporality(m.sum.aggregationTemporality), monotonic: m.sum.isMonotonic ?? false, points: numbers(m.sum.dataPoints) };
  if (m.histogram) {
    const points = (m.histogram.dataPoints ?? []).map((p) => ({
      ...pointBase(p),
      count: big(p.count),
      sum: opt(p.sum),
      min: opt(p.min),
      max: opt(p.max),
      bucketCounts: (p.bucketCounts ?? []).map(big),
      explicitBounds: p.explicitBounds ?? [],
    }));
    return { ...head, type: 'histogram', temporality: temporality(m.histogram.aggregationTemporality), points };
  }
  if (m.exponentialHistogram) {
    const buckets = (b: opentelemetry.proto.metrics.v1.ExponentialHistogramDataPoint.IBuckets | null | undefined) => ({
      offset: b?.offset ?? 0,
      bucketCounts: (b?.bucketCounts ?? []).map(big),
    });
    const points = (m.exponentialHistogram.dataPoints ?? []).map((p) => ({
      ...pointBase(p),
      count: big(p.count),
      sum: opt(p.sum),
      min: opt(p.min),
      max: opt(p.max),
      scale: p.scale ?? 0,
      zeroCount: big(p.zeroCount),
      zeroThreshold: p.zeroThreshold ?? 0,
      positive: buckets(p.positive),
      negative: buckets(p.negative),
    }));
    return { ...head, type: 'exponentialHistogram', temporality: temporality(m.exponentialHistogram.aggregationTemporality), points };
  }
  const points = (m.summary?.dataPoints ?? []).map((p) => ({
    ...pointBase(p),
    count: big(p.count),
    sum: p.sum ?? 0,
    quantileValues: (p.quantileValues ?? []).map((q) => ({ quantile: q.quantile ?? 0, value: q.value ?? 0 })),
  }));
  return { ...head, type: 'summary', points };
}

describe('encodeMetricsRequest', () => {
  it('decodeMetricsRequest gives back every metric and point, field for field, in order', () => {
    const metrics = richMetrics();
    const decoded = decodeMetricsRequest(encodeMetricsRequest(metrics), 'protobuf');
    expect(decoded.rejectedDataPoints).toBe(0);
    expect(decoded.dataPoints).toBe(14);
    expect(decoded.metrics).toEqual(metrics);
    const [sum] = decoded.metrics;
    expect(sum.type === 'sum' && sum.points.map((p) => p.value)).toEqual([MIN_INT64, 2n ** 63n - 1n, 0n]);
    const histogram = decoded.metrics[4];
    expect(histogram.type === 'histogram' && histogram.points[0].bucketCounts[1]).toBe(MAX_UINT64);
  });

  it('the generated decoder reads the same values, grouped by resource and scope in request order', () => {
    const metrics = richMetrics();
    const request = ExportMetricsServiceRequest.decode(encodeMetricsRequest(metrics));
    expect(request.resourceMetrics.map((rm) => rm.scopeMetrics!.map((sm) => sm.metrics!.length))).toEqual([[6], [1]]);
    const read = request.resourceMetrics.flatMap((rm) =>
      rm.scopeMetrics!.flatMap((sm) =>
        sm.metrics!.map((m) => fromOracle(m, resource(rm.resource, rm.schemaUrl), scope(sm.scope, sm.schemaUrl))),
      ),
    );
    expect(read).toEqual(metrics);
    const first = request.resourceMetrics[0].scopeMetrics![0].metrics![0];
    expect(first.sum?.dataPoints![0].asInt?.toString()).toBe(MIN_INT64.toString());
    expect(first.sum?.aggregationTemporality).toBe(1);
    expect(first.sum?.isMonotonic).toBe(true);
  });

  it('an empty list is an empty request', () => {
    const body = encodeMetricsRequest([]);
    expect(body.length).toBe(0);
    expect(decodeMetricsRequest(body, 'protobuf').metrics).toEqual([]);
  });
});
