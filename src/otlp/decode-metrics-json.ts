/**
 * OTLP/JSON `ExportMetricsServiceRequest` → RawMetric[]: parsed as the logs
 * decoder does (exact long integers), walked with decode-json.ts's resource,
 * scope and attribute readers. Tolerant as issue 16 asks: the temporality as
 * its enum name, `asInt` and counts as numbers or decimal strings, unknown
 * keys ignored. Exemplars are counted, not kept. A metric with two data
 * members (say `gauge` and `sum`) is ambiguous, so it is bad data.
 */
import type { ExponentialBuckets, MetricType, RawMetric } from '../model/metric-types.js';
import { forEachEnvelopeItem, parseJsonRequest, readAttributes } from './decode-json.js';
import {
  type JsonObject,
  readArray,
  readBool,
  readDouble,
  readEnumOrName,
  readInt64,
  readObject,
  readString,
  readUint32Wide,
  readUint64,
} from './json-values.js';
import { type AnyPoint, type MetricDraft, finishMetric, newDraft, pointProblem, startData } from './metric-drafts.js';
import { OtlpDecodeError } from './otlp-decode-error.js';
import { type DecodedMetrics, ItemRejections, TEMPORALITY_NAMES } from './signal-results.js';

const DATA_KEYS: readonly MetricType[] = ['gauge', 'sum', 'histogram', 'exponentialHistogram', 'summary'];

interface Counter {
  exemplars: number;
}

export function decodeJsonMetricsRequest(body: Uint8Array): DecodedMetrics {
  const root = parseJsonRequest(body, 'ExportMetricsServiceRequest');
  const metrics: RawMetric[] = [];
  const rejections = new ItemRejections('data point', 'data points');
  const counter: Counter = { exemplars: 0 };
  forEachEnvelopeItem(root, { resource: 'resourceMetrics', scope: 'scopeMetrics', items: 'metrics' }, (m, path, resource, scope) => {
    const metric = finishMetric(readMetric(m, path, rejections, counter), resource, scope, path, rejections);
    if (metric !== null) metrics.push(metric);
  });
  return {
    metrics,
    dataPoints: metrics.reduce((n, m) => n + m.points.length, 0),
    rejectedDataPoints: rejections.count,
    droppedExemplars: counter.exemplars,
    rejectionMessage: rejections.message(),
  };
}

function readMetric(m: JsonObject, path: string, rejections: ItemRejections, counter: Counter): MetricDraft {
  const draft = newDraft();
  draft.name = readString(m.name, `${path}.name`);
  draft.description = readString(m.description, `${path}.description`);
  draft.unit = readString(m.unit, `${path}.unit`);
  draft.metadata = readAttributes(m.metadata, `${path}.metadata`);
  const present = DATA_KEYS.filter((key) => m[key] !== undefined && m[key] !== null);
  if (present.length > 1) throw new OtlpDecodeError(`${path}: more than one of ${present.join(', ')} is set; a metric holds one`);
  if (present.length === 0) return draft;
  const type = present[0];
  const dataPath = `${path}.${type}`;
  const data = readObject(m[type], dataPath) ?? {};
  startData(draft, type);
  if (type !== 'gauge' && type !== 'summary') {
    const value = data.aggregationTemporality;
    draft.temporality = readEnumOrName(value, `${dataPath}.aggregationTemporality`, TEMPORALITY_NAMES);
  }
  if (type === 'sum' && data.isMonotonic !== undefined && data.isMonotonic !== null) {
    draft.monotonic = readBool(data.isMonotonic, `${dataPath}.isMonotonic`);
  }
  const points = readArray(data.dataPoints, `${dataPath}.dataPoints`);
  for (let i = 0; i < points.length; i++) {
    const pointPath = `${dataPath}.dataPoints[${i}]`;
    const p = readObject(points[i], pointPath);
    if (p === null) continue;
    const point = readPoint(p, pointPath, type, counter);
    if (typeof point === 'string') rejections.reject(pointPath, point);
    else draft.points.push(point);
  }
  return draft;
}

const optionalDouble = (value: unknown, path: string): number | null =>
  value === undefined || value === null ? null : readDouble(value, path);

function readPoint(p: JsonObject, path: string, type: MetricType, counter: Counter): AnyPoint | string {
  const startTimeUnixNano = readUint64(p.startTimeUnixNano, `${path}.startTimeUnixNano`);
  const timeUnixNano = readUint64(p.timeUnixNano, `${path}.timeUnixNano`);
  const flags = readUint32Wide(p.flags, `${path}.flags`);
  counter.exemplars += readArray(p.exemplars, `${path}.exemplars`).length;
  const base = { attributes: readAttributes(p.attributes, `${path}.attributes`), startTimeUnixNano, timeUnixNano, flags: flags as number };
  const problem = pointProblem(timeUnixNano, startTimeUnixNano, flags);
  if (type === 'gauge' || type === 'sum') {
    const hasInt = p.asInt !== undefined && p.asInt !== null;
    const hasDouble = p.asDouble !== undefined && p.asDouble !== null;
    if (hasInt && hasDouble) throw new OtlpDecodeError(`${path}: both asInt and asDouble are set; a point holds one`);
    const value = hasInt ? BigInt(readInt64(p.asInt, `${path}.asInt`)) : hasDouble ? readDouble(p.asDouble, `${path}.asDouble`) : null;
    return problem ?? (value === null ? 'the point has no value (asInt or asDouble)' : { ...base, value });
  }
  const count = readUint64(p.count, `${path}.count`);
  if (type === 'summary') {
    const quantileValues = readArray(p.quantileValues, `${path}.quantileValues`).map((item, i) => {
      const q = readObject(item, `${path}.quantileValues[${i}]`) ?? {};
      return {
        quantile: optionalDouble(q.quantile, `${path}.quantileValues[${i}].quantile`) ?? 0,
        value: optionalDouble(q.value, `${path}.quantileValues[${i}].value`) ?? 0,
      };
    });
    return problem ?? { ...base, count, sum: optionalDouble(p.sum, `${path}.sum`) ?? 0, quantileValues };
  }
  const stats = {
    count,
    sum: optionalDouble(p.sum, `${path}.sum`),
    min: optionalDouble(p.min, `${path}.min`),
    max: optionalDouble(p.max, `${path}.max`),
  };
  if (type === 'histogram') {
    const bucketCounts = readArray(p.bucketCounts, `${path}.bucketCounts`).map((c, i) => readUint64(c, `${path}.bucketCounts[${i}]`));
    const explicitBounds = readArray(p.explicitBounds, `${path}.explicitBounds`).map((b, i) => readDouble(b, `${path}.explicitBounds[${i}]`));
    return problem ?? { ...base, ...stats, bucketCounts, explicitBounds };
  }
  // Every field is read (and bad data refused) before a point-level problem can set the point aside.
  const exponential = {
    ...base,
    ...stats,
    scale: readInt32(p.scale, `${path}.scale`),
    zeroCount: readUint64(p.zeroCount, `${path}.zeroCount`),
    zeroThreshold: optionalDouble(p.zeroThreshold, `${path}.zeroThreshold`) ?? 0,
    positive: readBuckets(p.positive, `${path}.positive`),
    negative: readBuckets(p.negative, `${path}.negative`),
  };
  return problem ?? exponential;
}

function readBuckets(value: unknown, path: string): ExponentialBuckets {
  const b = readObject(value, path) ?? {};
  return {
    offset: readInt32(b.offset, `${path}.offset`),
    bucketCounts: readArray(b.bucketCounts, `${path}.bucketCounts`).map((c, i) => readUint64(c, `${path}.bucketCounts[${i}]`)),
  };
}

function readInt32(value: unknown, path: string): number {
  if (value === undefined || value === null) return 0;
  const n = readInt64(value, path);
  if (typeof n !== 'number' || n < -(2 ** 31) || n >= 2 ** 31) throw new OtlpDecodeError(`${path}: ${n} is not a 32-bit integer`);
  return n;
}
