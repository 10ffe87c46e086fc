/** JSON Schemas of log records and metric points (`model/log-view.ts`), for the OpenAPI document. */

import { METRIC_TYPES } from '../../model/metric-types.js';
import type { JsonSchema } from './params.js';

const nanos = (description: string, nullable = false): JsonSchema => ({
  type: nullable ? ['string', 'null'] : 'string',
  pattern: '^\\d+$',
  description: `${description} Nanoseconds as a decimal string (exact: values exceed 2^53).`,
});
const str = (nullable = false): JsonSchema => ({ type: nullable ? ['string', 'null'] : 'string' });
const num = (nullable = false): JsonSchema => ({ type: nullable ? ['number', 'null'] : 'number' });
const ref = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });
const obj = (properties: Record<string, JsonSchema>): JsonSchema => ({
  type: 'object',
  properties,
  required: Object.keys(properties),
});
const anyJson: JsonSchema = {
  description: 'An OTLP AnyValue as JSON: 64-bit integers as decimal strings, bytes as base64, kvlists as objects.',
};
const scope = obj({ name: str(), version: str() });
const attributes = (description: string): JsonSchema => ({ type: 'object', description });

const logRecord = obj({
  id: { type: 'integer', description: 'The store id, increasing in commit order: merge streamed records into a page by it.' },
  sessionId: { type: ['string', 'null'], description: "The record's session: its own key, else its trace's session; null when tied to none." },
  traceId: str(true),
  spanId: str(true),
  timeUnixNano: nanos('When the event happened; "0" when the sender gave no time.'),
  observedTimeUnixNano: nanos('When the collection system saw it; "0" when unknown.'),
  severityNumber: { type: 'integer', minimum: 0, maximum: 24, description: 'OTLP SeverityNumber: 0 unspecified, 1-4 trace, 5-8 debug, 9-12 info, 13-16 warn, 17-20 error, 21-24 fatal.' },
  severityText: { type: 'string', description: "The level as the sender spelled it; '' when absent." },
  eventName: { type: 'string', description: "'' when the record is not an event." },
  body: anyJson,
  attributes: attributes('Record attributes.'),
  resource: attributes('Resource attributes.'),
  scope,
});

const metricPoint = obj({
  id: { type: 'integer', description: 'The store id, increasing in commit order.' },
  name: str(),
  description: str(),
  unit: str(),
  type: { type: 'string', enum: METRIC_TYPES },
  temporality: {
    oneOf: [{ type: 'string', enum: ['unspecified', 'delta', 'cumulative'] }, { type: 'null' }],
    description: 'Sums and histograms; null otherwise.',
  },
  monotonic: { type: ['boolean', 'null'], description: 'Sums only.' },
  sessionId: { type: ['string', 'null'], description: "The point's session key (point attributes, then resource), or null." },
  startTimeUnixNano: nanos('Start of the aggregation; "0" when unknown.'),
  timeUnixNano: nanos('Point time.'),
  attributes: attributes('Point attributes.'),
  flags: { type: 'integer', description: 'OTLP DataPointFlags (1: no recorded value).' },
  value: { type: ['number', 'string', 'null'], description: 'Gauges and sums: a double as a number, an integer as a decimal string; null for other types.' },
  count: { type: ['string', 'null'], pattern: '^\\d+$', description: 'Histograms and summaries: the count as a decimal string.' },
  sum: num(true),
  min: num(true),
  max: num(true),
  detail: {
    type: ['object', 'null'],
    description:
      'Histogram: { bucketCounts, explicitBounds }; exponential histogram: { scale, zeroCount, zeroThreshold, positive, negative } ' +
      '(buckets { offset, bucketCounts }); summary: { quantileValues: [{ quantile, value }] }. Counts as decimal strings.',
  },
  resource: attributes('Resource attributes.'),
  scope,
});

const cursor = { ...str(true), description: 'Pass as `cursor` for the next page; null on the last.' };

export const SIGNAL_SCHEMAS: Record<string, JsonSchema> = {
  LogRecord: logRecord,
  LogPage: obj({ items: { type: 'array', items: ref('LogRecord') }, nextCursor: cursor }),
  SessionEvents: obj({ sessionId: str(), items: { type: 'array', items: ref('LogRecord') }, nextCursor: cursor }),
  MetricPoint: metricPoint,
  MetricPage: obj({ items: { type: 'array', items: ref('MetricPoint') }, nextCursor: cursor }),
};

/** What `GET /traces/{traceId}` adds to each span: the log records tied to it. */
export const STEP_LOG_PROPERTIES: Record<string, JsonSchema> = {
  logs: {
    type: 'array',
    items: ref('LogRecord'),
    description:
      'Log records carrying this span\'s trace and span id, in time order, at most 100; see logsTruncated.',
  },
  logsTruncated: {
    type: 'boolean',
    description: 'More records are tied to the span than `logs` holds: page them with GET /logs?traceId=…&spanId=….',
  },
};
