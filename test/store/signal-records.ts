/** Log records and metrics for the store tests: complete, with values that break lossy storage. */
import type { RawLogRecord } from '../../src/model/log-types.js';
import type { RawMetric } from '../../src/model/metric-types.js';
import type { AttributeValue, Attributes, InstrumentationScope, SpanResource } from '../../src/model/types.js';
import { BASE_TIME_UNIX_NANO } from '../helpers/records.js';

export const LOG_RESOURCE: SpanResource = {
  attributes: { 'service.name': 'claude-code', 'host.pid': 4242n, 'os.type': 'linux' },
  droppedAttributesCount: 1,
  schemaUrl: 'https://opentelemetry.io/schemas/1.26.0',
};
export const LOG_SCOPE: InstrumentationScope = {
  name: 'com.anthropic.claude_code.events',
  version: '2.0.0',
  attributes: { tier: 'x' },
  droppedAttributesCount: 0,
  schemaUrl: '',
};

/** Every AnyValue kind a body can be. */
export const BODY_KINDS: Record<string, AttributeValue> = {
  string: 'the assistant said: "hi"\n',
  int: -9_223_372_036_854_775_808n,
  bigInt: 9_007_199_254_740_993n,
  double: 0.1,
  nan: Number.NaN,
  infinity: Number.NEGATIVE_INFINITY,
  negZero: -0,
  bool: false,
  bytes: new Uint8Array([0, 1, 254, 255]),
  array: ['a', 1, true, null, [2n], new Uint8Array([7])],
  kvlist: { nested: { deep: 'x', n: 3n }, $i: 'not a bigint', empty: {} },
  emptyArray: [],
  emptyKvlist: {},
  absent: null,
};

let sequence = 0;

export function makeLog(overrides: Partial<RawLogRecord> = {}): RawLogRecord {
  sequence++;
  return {
    timeUnixNano: BASE_TIME_UNIX_NANO + 123_456_789n + BigInt(sequence),
    observedTimeUnixNano: BASE_TIME_UNIX_NANO + 223_456_789n + BigInt(sequence),
    severityNumber: 9,
    severityText: 'INFO',
    body: `event ${sequence}`,
    attributes: { 'event.name': 'api_request', cost_usd: 0.0123, tokens: 2n ** 62n, ok: true },
    droppedAttributesCount: 0,
    flags: 0,
    traceId: null,
    spanId: null,
    eventName: 'claude_code.api_request',
    resource: LOG_RESOURCE,
    scope: LOG_SCOPE,
    ...overrides,
  };
}

const header = { description: 'd', unit: '1', metadata: {}, resource: LOG_RESOURCE, scope: LOG_SCOPE };
const at = (i: number) => BASE_TIME_UNIX_NANO + BigInt(i) * 1_000_000_000n;

/** A double gauge of one point at `time`, keyed to `sessionId` (point attribute) when given. */
export function gauge(name: string, time: bigint, sessionId: string | null, resource: SpanResource = LOG_RESOURCE): RawMetric {
  const attributes: Attributes = sessionId === null ? {} : { 'session.id': sessionId };
  return { ...header, resource, name, type: 'gauge', points: [{ attributes, startTimeUnixNano: 0n, timeUnixNano: time, flags: 0, value: 1 }] };
}

/** One metric of every type, with exact 64-bit values and optional fields set and unset. */
export function everyMetricType(sessionId = 'metric-session'): RawMetric[] {
  const attributes = { 'session.id': sessionId, kind: 'x' };
  const base = { attributes, startTimeUnixNano: at(0), flags: 0 };
  return [
    {
      ...header, name: 'm.gauge.double', type: 'gauge',
      points: [{ ...base, timeUnixNano: at(1), value: 0.25 }, { ...base, timeUnixNano: at(1), value: Number.NaN, flags: 1 }],
    },
    { ...header, name: 'm.gauge.int', type: 'gauge', metadata: { origin: 'sdk' }, points: [{ ...base, timeUnixNano: at(2), value: 2n ** 63n - 1n }] },
    {
      ...header, name: 'm.sum', unit: '{token}', type: 'sum', temporality: 'delta', monotonic: true,
      points: [{ ...base, timeUnixNano: at(3), value: 3n }, { ...base, startTimeUnixNano: 0n, timeUnixNano: at(4), value: 4.5, flags: 1 }],
    },
    {
      ...header, name: 'm.histogram', type: 'histogram', temporality: 'cumulative',
      points: [{ ...base, timeUnixNano: at(5), count: 2n ** 60n, sum: 12.5, min: null, max: Number.NaN, bucketCounts: [1n, 2n ** 60n - 1n], explicitBounds: [10] }],
    },
    {
      ...header, name: 'm.exponential', type: 'exponentialHistogram', temporality: 'delta',
      points: [{
        ...base, timeUnixNano: at(6), count: 5n, sum: null, min: 0.5, max: 8, scale: -2, zeroCount: 1n, zeroThreshold: 1e-9,
        positive: { offset: -3, bucketCounts: [1n, 3n] }, negative: { offset: 0, bucketCounts: [] },
      }],
    },
    {
      ...header, name: 'm.summary', type: 'summary',
      points: [{ ...base, timeUnixNano: at(7), count: 3n, sum: 6, quantileValues: [{ quantile: 0, value: 1 }, { quantile: 1, value: 3 }] }],
    },
  ];
}
