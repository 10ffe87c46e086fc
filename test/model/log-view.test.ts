import { describe, expect, it } from 'vitest';
import { logRecordJson, metricPointJson } from '../../src/model/log-view.js';
import type { StoredLogRecord } from '../../src/model/log-types.js';
import type { StoredMetricPoint } from '../../src/model/metric-types.js';

const resource = { attributes: { 'service.name': 'claude-code', big: 2n ** 63n - 1n }, droppedAttributesCount: 0, schemaUrl: '' };
const scope = { name: 'com.anthropic.claude_code', version: '1.0.0', attributes: {}, droppedAttributesCount: 0, schemaUrl: '' };

describe('log and metric JSON views', () => {
  it('shows a log record with exact times, and a body of any kind JSON-safe', () => {
    const record: StoredLogRecord = {
      id: 7,
      sessionId: 's1',
      timeUnixNano: 1_700_000_000_123_456_789n,
      observedTimeUnixNano: 0n,
      severityNumber: 9,
      severityText: 'INFO',
      body: { text: 'hi', n: 2n ** 62n, raw: new Uint8Array([1, 2, 255]), list: [1n, null, { $i: 'x' }] },
      attributes: { 'event.name': 'claude_code.api_request', cost: 0.5, tokens: 123n },
      droppedAttributesCount: 0,
      flags: 1,
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      eventName: 'claude_code.api_request',
      resource,
      scope,
    };
    const json = logRecordJson(record);
    expect(JSON.parse(JSON.stringify(json))).toEqual({
      id: 7,
      sessionId: 's1',
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      timeUnixNano: '1700000000123456789',
      observedTimeUnixNano: '0',
      severityNumber: 9,
      severityText: 'INFO',
      eventName: 'claude_code.api_request',
      body: { text: 'hi', n: '4611686018427387904', raw: 'AQL/', list: ['1', null, { $i: 'x' }] },
      attributes: { 'event.name': 'claude_code.api_request', cost: 0.5, tokens: '123' },
      resource: { 'service.name': 'claude-code', big: '9223372036854775807' },
      scope: { name: 'com.anthropic.claude_code', version: '1.0.0' },
    });
    expect(logRecordJson({ ...record, body: 'plain' }).body).toBe('plain');
    expect(logRecordJson({ ...record, body: null }).body).toBeNull();
  });

  it('shows a metric point with 64-bit integers as decimal strings', () => {
    const point: StoredMetricPoint = {
      id: 3,
      name: 'claude_code.token.usage',
      description: 'tokens',
      unit: 'tokens',
      type: 'histogram',
      temporality: 'delta',
      monotonic: null,
      sessionId: null,
      startTimeUnixNano: 1n,
      timeUnixNano: 2n ** 63n - 1n,
      attributes: { type: 'input' },
      flags: 0,
      value: null,
      count: 2n ** 60n,
      sum: 1.5,
      min: null,
      max: 9,
      detail: { bucketCounts: [1n, 2n], explicitBounds: [10] },
      resource,
      scope,
    };
    const json = metricPointJson(point);
    expect(JSON.parse(JSON.stringify(json))).toMatchObject({
      timeUnixNano: '9223372036854775807',
      startTimeUnixNano: '1',
      count: '1152921504606846976',
      value: null,
      detail: { bucketCounts: ['1', '2'], explicitBounds: [10] },
      temporality: 'delta',
      monotonic: null,
    });
    expect(metricPointJson({ ...point, type: 'sum', value: 2n ** 63n, count: null, detail: null }).value).toBe('9223372036854775808');
    expect(metricPointJson({ ...point, type: 'gauge', value: 0.25, count: null, detail: null }).value).toBe(0.25);
  });
});
