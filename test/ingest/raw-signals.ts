/** RawLogRecord and RawMetric builders for the ingest and receiver tests (the signal counterparts of makeRawSpan). */
import type { RawLogRecord } from '../../src/model/log-types.js';
import type { NumberPoint, RawMetric } from '../../src/model/metric-types.js';
import type { InstrumentationScope, SpanResource } from '../../src/model/types.js';

const resource: SpanResource = { attributes: { 'service.name': 'test-agent' }, droppedAttributesCount: 0, schemaUrl: '' };
const scope: InstrumentationScope = { name: 'test', version: '1.0.0', attributes: {}, droppedAttributesCount: 0, schemaUrl: '' };

let sequence = 0;

/** A complete log record, a GenAI event by default (`gen_ai.user.message`); override any field. */
export function makeRawLog(overrides: Partial<RawLogRecord> = {}): RawLogRecord {
  sequence++;
  return {
    timeUnixNano: 1_700_000_000_000_000_000n + BigInt(sequence) * 1_000n,
    observedTimeUnixNano: 1_700_000_000_000_000_500n,
    severityNumber: 9,
    severityText: 'INFO',
    body: `hello ${sequence}`,
    attributes: { 'gen_ai.system': 'openai', 'session.id': 'sess-1' },
    droppedAttributesCount: 0,
    flags: 0,
    traceId: null,
    spanId: null,
    eventName: 'gen_ai.user.message',
    resource,
    scope,
    ...overrides,
  };
}

/** A monotonic cumulative sum of `points` int points (a token counter by default); override any header field. */
export function makeRawSum(points = 1, overrides: Partial<Omit<RawMetric, 'type' | 'points'>> = {}): RawMetric {
  const made: NumberPoint[] = Array.from({ length: points }, (_, i) => ({
    attributes: { 'gen_ai.token.type': i % 2 === 0 ? 'input' : 'output' },
    startTimeUnixNano: 1_700_000_000_000_000_000n,
    timeUnixNano: 1_700_000_010_000_000_000n + BigInt(i),
    flags: 0,
    value: BigInt(100 + i),
  }));
  return {
    name: 'gen_ai.client.token.usage',
    description: 'tokens',
    unit: '{token}',
    metadata: {},
    resource,
    scope,
    ...overrides,
    type: 'sum',
    temporality: 'cumulative',
    monotonic: true,
    points: made,
  };
}
