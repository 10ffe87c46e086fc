import { describe, expect, it } from 'vitest';
import type { RawMetric } from '../../src/model/metric-types.js';
import { OtlpDecodeError, decodeJsonMetricsRequest, decodeProtobufMetricsRequest } from '../../src/otlp/index.js';
import { opentelemetry } from '../oracle/otlp/generated/otlp.js';
import { long } from './oracle-longs.js';

const ExportMetricsServiceRequest = opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;

const START = 1_764_000_000_000_000_001n;
const T = 1_764_000_060_000_000_003n;
const times = { startTimeUnixNano: long(START), timeUnixNano: long(T) };
const exemplar = { timeUnixNano: long(T), asDouble: 1, spanId: Buffer.from('1112131415161718', 'hex') };
const attr = (key: string, value: string) => ({ key, value: { stringValue: value } });

function oracleRequest(): Uint8Array {
  return ExportMetricsServiceRequest.encode({
    resourceMetrics: [
      {
        resource: { attributes: [attr('service.name', 'gemini-cli')] },
        schemaUrl: 'res-schema',
        scopeMetrics: [
          {
            scope: { name: 'gemini-cli', version: '0.9.0' },
            schemaUrl: 'scope-schema',
            metrics: [
              {
                name: 'gemini_cli.session.count',
                description: 'sessions',
                unit: '{session}',
                metadata: [attr('origin', 'sdk')],
                gauge: { dataPoints: [{ ...times, asInt: long(-(2n ** 62n)), attributes: [attr('model', 'g')], flags: 1 }] },
              },
              {
                name: 'claude_code.cost.usage',
                unit: 'USD',
                sum: {
                  aggregationTemporality: 1,
                  isMonotonic: true,
                  dataPoints: [{ ...times, asDouble: 0.0421, exemplars: [exemplar, exemplar] }],
                },
              },
              {
                name: 'claude_code.token.usage',
                sum: { aggregationTemporality: 2, isMonotonic: false, dataPoints: [{ ...times, asInt: 1234 }] },
              },
              {
                name: 'gen_ai.client.operation.duration',
                unit: 's',
                histogram: {
                  aggregationTemporality: 2,
                  dataPoints: [
                    {
                      ...times,
                      count: long(6n),
                      sum: 7.5,
                      min: 0.25,
                      max: 4,
                      bucketCounts: [long(1n), long(2n), long(3n)],
                      explicitBounds: [0.5, 2],
                      exemplars: [exemplar],
                    },
                  ],
                },
              },
              {
                name: 'latency.exp',
                exponentialHistogram: {
                  aggregationTemporality: 1,
                  dataPoints: [
                    {
                      ...times,
                      count: long(10n),
                      sum: -3.5,
                      scale: -2,
                      zeroCount: long(1n),
                      zeroThreshold: 0.001,
                      positive: { offset: 3, bucketCounts: [long(2n), long(0n), long(4n)] },
                      negative: { offset: -5, bucketCounts: [long(1n), long(2n)] },
                      min: -8,
                      max: 16,
                    },
                  ],
                },
              },
              {
                name: 'rpc.latency.summary',
                summary: {
                  dataPoints: [
                    {
                      ...times,
                      count: long(4n),
                      sum: 10,
                      quantileValues: [
                        { quantile: 0, value: 1 },
                        { quantile: 0.5, value: 2.5 },
                        { quantile: 1, value: 4 },
                      ],
                    },
                  ],
                },
              },
              { name: 'no.data' },
            ],
          },
        ],
      },
    ],
  }).finish();
}

const resource = { attributes: { 'service.name': 'gemini-cli' }, droppedAttributesCount: 0, schemaUrl: 'res-schema' };
const scope = { name: 'gemini-cli', version: '0.9.0', attributes: {}, droppedAttributesCount: 0, schemaUrl: 'scope-schema' };
const base = { attributes: {}, startTimeUnixNano: START, timeUnixNano: T, flags: 0 };
const header = { description: '', unit: '', metadata: {}, resource, scope };

const EXPECTED: RawMetric[] = [
  {
    ...header,
    name: 'gemini_cli.session.count',
    description: 'sessions',
    unit: '{session}',
    metadata: { origin: 'sdk' },
    type: 'gauge',
    points: [{ ...base, attributes: { model: 'g' }, flags: 1, value: -(2n ** 62n) }],
  },
  { ...header, name: 'claude_code.cost.usage', unit: 'USD', type: 'sum', temporality: 'delta', monotonic: true, points: [{ ...base, value: 0.0421 }] },
  { ...header, name: 'claude_code.token.usage', type: 'sum', temporality: 'cumulative', monotonic: false, points: [{ ...base, value: 1234n }] },
  {
    ...header,
    name: 'gen_ai.client.operation.duration',
    unit: 's',
    type: 'histogram',
    temporality: 'cumulative',
    points: [{ ...base, count: 6n, sum: 7.5, min: 0.25, max: 4, bucketCounts: [1n, 2n, 3n], explicitBounds: [0.5, 2] }],
  },
  {
    ...header,
    name: 'latency.exp',
    type: 'exponentialHistogram',
    temporality: 'delta',
    points: [
      {
        ...base,
        count: 10n,
        sum: -3.5,
        min: -8,
        max: 16,
        scale: -2,
        zeroCount: 1n,
        zeroThreshold: 0.001,
        positive: { offset: 3, bucketCounts: [2n, 0n, 4n] },
        negative: { offset: -5, bucketCounts: [1n, 2n] },
      },
    ],
  },
  {
    ...header,
    name: 'rpc.latency.summary',
    type: 'summary',
    points: [
      {
        ...base,
        count: 4n,
        sum: 10,
        quantileValues: [
          { quantile: 0, value: 1 },
          { quantile: 0.5, value: 2.5 },
          { quantile: 1, value: 4 },
        ],
      },
    ],
  },
];

describe('decodeProtobufMetricsRequest against the generated encoder', () => {
  it('reads every metric type field by field, both temporalities, int and double points; exemplars counted', () => {
    const decoded = decodeProtobufMetricsRequest(oracleRequest());
    expect(decoded.metrics).toEqual(EXPECTED);
    expect(decoded.dataPoints).toBe(6);
    expect(decoded.droppedExemplars).toBe(3);
    expect(decoded.rejectedDataPoints).toBe(0);
    expect(decoded.rejectionMessage).toBeNull();
    expect(typeof (decoded.metrics[2].points[0] as { value: unknown }).value).toBe('bigint');
  });

  it('reads unpacked repeated numbers as well as packed ones', () => {
    // histogram point with bucket_counts (6) and explicit_bounds (7) sent one element per tag
    const w = opentelemetry.proto.metrics.v1.HistogramDataPoint.encode({ timeUnixNano: long(T) }).finish();
    const extra = Buffer.alloc(9 * 3);
    extra.writeUInt8((6 << 3) | 1, 0);
    extra.writeBigUInt64LE(5n, 1);
    extra.writeUInt8((6 << 3) | 1, 9);
    extra.writeBigUInt64LE(7n, 10);
    extra.writeUInt8((7 << 3) | 1, 18);
    extra.writeDoubleLE(1.5, 19);
    const point = Buffer.concat([w, extra]);
    const [metric] = decodeProtobufMetricsRequest(histogramRequest(point)).metrics;
    expect(metric.type === 'histogram' && metric.points[0]).toMatchObject({ bucketCounts: [5n, 7n], explicitBounds: [1.5], sum: null });
  });

  it('rejects points one by one: no time, no value, an unknown temporality', () => {
    const body = ExportMetricsServiceRequest.encode({
      resourceMetrics: [
        {
          scopeMetrics: [
            {
              metrics: [
                { name: 'g', gauge: { dataPoints: [{ asInt: 1 }, { timeUnixNano: long(T) }, { timeUnixNano: long(T), asDouble: 2 }] } },
                { name: 's', sum: { aggregationTemporality: 7 as never, dataPoints: [{ timeUnixNano: long(T), asInt: 1 }] } },
              ],
            },
          ],
        },
      ],
    }).finish();
    const decoded = decodeProtobufMetricsRequest(body);
    expect(decoded.metrics.map((m) => [m.name, m.points.length])).toEqual([['g', 1]]);
    expect(decoded.rejectedDataPoints).toBe(3);
    expect(decoded.rejectionMessage).toBe(
      '3 data points rejected: resourceMetrics[0].scopeMetrics[0].metrics[0].gauge.dataPoints[0]: timeUnixNano is missing (0); ' +
        'resourceMetrics[0].scopeMetrics[0].metrics[0].gauge.dataPoints[1]: the point has no value (asInt or asDouble); ' +
        'resourceMetrics[0].scopeMetrics[0].metrics[1].sum: aggregationTemporality 7 is not an AggregationTemporality (0-2)',
    );
  });

  it('rejects a truncated body and a wrong wire type with an OtlpDecodeError naming where', () => {
    const whole = oracleRequest();
    expect(() => decodeProtobufMetricsRequest(whole.subarray(0, whole.length - 5))).toThrow(OtlpDecodeError);
    expect(() => decodeProtobufMetricsRequest(whole.subarray(0, whole.length - 5))).toThrow(/truncated protobuf: the value at byte offset 1 needs \d+ bytes/);
    expect(() => decodeProtobufMetricsRequest(new Uint8Array([0x0e]))).toThrow(/invalid wire type 6 \(field 1\)/);
    // a histogram point whose count (fixed64) has only 2 of its 8 bytes
    const cut = histogramRequest(Buffer.from([0x21, 0x01, 0x02]));
    expect(() => decodeProtobufMetricsRequest(cut)).toThrow(
      /truncated protobuf in resourceMetrics\[0\]\.scopeMetrics\[0\]\.metrics\[0\]: the value at byte offset \d+ needs 8 bytes but only 2 remain/,
    );
  });
});

/**
 * A request holding one metric named "h", a delta histogram whose one data
 * point is the hand-written `point` bytes (under 128 bytes), framed by hand.
 */
function histogramRequest(point: Buffer): Uint8Array {
  const histogram = Buffer.concat([Buffer.from([0x0a, point.length]), point, Buffer.from([0x10, 0x01])]);
  const metric = Buffer.concat([Buffer.from([0x0a, 0x01, 0x68, 0x4a, histogram.length]), histogram]);
  const scopeMetrics = Buffer.concat([Buffer.from([0x12, metric.length]), metric]);
  const resourceMetrics = Buffer.concat([Buffer.from([0x12, scopeMetrics.length]), scopeMetrics]);
  return Buffer.concat([Buffer.from([0x0a, resourceMetrics.length]), resourceMetrics]);
}

describe('decodeJsonMetricsRequest', () => {
  const json = (value: unknown): Uint8Array => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value, null, 2));
  const one = (metric: unknown): unknown => ({ resourceMetrics: [{ scopeMetrics: [{ metrics: [metric] }] }] });

  it('reads the same metrics from their OTLP/JSON form, with enum names, numbers as strings and unquoted longs', () => {
    const text = `{"resourceMetrics":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"gemini-cli"}}]},"schemaUrl":"res-schema",
      "scopeMetrics":[{"scope":{"name":"gemini-cli","version":"0.9.0"},"schemaUrl":"scope-schema","metrics":[
      {"name":"gemini_cli.session.count","description":"sessions","unit":"{session}","metadata":[{"key":"origin","value":{"stringValue":"sdk"}}],
       "gauge":{"dataPoints":[{"startTimeUnixNano":${START},"timeUnixNano":"${T}","asInt":"${-(2n ** 62n)}","flags":1,"attributes":[{"key":"model","value":{"stringValue":"g"}}]}]}},
      {"name":"claude_code.cost.usage","unit":"USD","sum":{"aggregationTemporality":"AGGREGATION_TEMPORALITY_DELTA","isMonotonic":true,
       "dataPoints":[{"startTimeUnixNano":"${START}","timeUnixNano":"${T}","asDouble":0.0421,"exemplars":[{"asDouble":1},{"asInt":"2"}]}]}},
      {"name":"claude_code.token.usage","sum":{"aggregationTemporality":2,"dataPoints":[{"startTimeUnixNano":"${START}","timeUnixNano":"${T}","asInt":1234}]}},
      {"name":"gen_ai.client.operation.duration","unit":"s","histogram":{"aggregationTemporality":"AGGREGATION_TEMPORALITY_CUMULATIVE","dataPoints":[
       {"startTimeUnixNano":"${START}","timeUnixNano":"${T}","count":"6","sum":7.5,"min":0.25,"max":4,"bucketCounts":["1",2,"3"],"explicitBounds":[0.5,2],"exemplars":[{}]}]}},
      {"name":"latency.exp","exponentialHistogram":{"aggregationTemporality":1,"dataPoints":[{"startTimeUnixNano":"${START}","timeUnixNano":"${T}",
       "count":10,"sum":-3.5,"scale":-2,"zeroCount":"1","zeroThreshold":0.001,"positive":{"offset":3,"bucketCounts":["2","0","4"]},
       "negative":{"offset":-5,"bucketCounts":[1,2]},"min":-8,"max":16}]}},
      {"name":"rpc.latency.summary","summary":{"dataPoints":[{"startTimeUnixNano":"${START}","timeUnixNano":"${T}","count":"4","sum":10,
       "quantileValues":[{"quantile":0,"value":1},{"quantile":0.5,"value":2.5},{"quantile":1,"value":4}]}]}},
      {"name":"no.data","futureField":true}]}]}]}`;
    const decoded = decodeJsonMetricsRequest(json(text));
    expect(decoded.metrics).toEqual(EXPECTED);
    expect(decoded.droppedExemplars).toBe(3);
    expect(decoded.rejectedDataPoints).toBe(0);
  });

  it.each([
    ['a non-object body', '"metrics"', /must be an ExportMetricsServiceRequest object, got the string "metrics"/],
    ['two data members', one({ gauge: {}, sum: {} }), /metrics\[0\]: more than one of gauge, sum is set/],
    ['an unknown temporality name', one({ sum: { aggregationTemporality: 'AGGREGATION_TEMPORALITY_SOMETIMES' } }), /sum\.aggregationTemporality: "AGGREGATION_TEMPORALITY_SOMETIMES" is not a known enum name/],
    ['a fractional asInt', one({ gauge: { dataPoints: [{ timeUnixNano: '1', asInt: 1.5 }] } }), /gauge\.dataPoints\[0\]\.asInt: expected a signed 64-bit integer/],
    ['a negative bucket count', one({ histogram: { dataPoints: [{ bucketCounts: [-1] }] } }), /histogram\.dataPoints\[0\]\.bucketCounts\[0\]: expected an unsigned 64-bit integer/],
    ['a scale beyond 32 bits', one({ exponentialHistogram: { dataPoints: [{ scale: 2 ** 40 }] } }), /exponentialHistogram\.dataPoints\[0\]\.scale: 1099511627776 is not a 32-bit integer/],
  ])('rejects %s with an OtlpDecodeError naming the field', (_name, body, message) => {
    const bytes = json(body);
    expect(() => decodeJsonMetricsRequest(bytes)).toThrow(OtlpDecodeError);
    expect(() => decodeJsonMetricsRequest(bytes)).toThrow(message);
  });
});
