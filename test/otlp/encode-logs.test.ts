import { describe, expect, it } from 'vitest';
import type { RawLogRecord } from '../../src/model/log-types.js';
import type { InstrumentationScope, SpanResource } from '../../src/model/types.js';
import { decodeLogsRequest, encodeLogsRequest } from '../../src/otlp/index.js';
import { emptyLog } from '../helpers/raw-logs.js';
import { opentelemetry } from '../oracle/otlp/generated/otlp.js';
import { attributes, anyValue, big, hex, resource, scope } from './oracle-values.js';

const ExportLogsServiceRequest = opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
const MAX_INT64 = 2n ** 63n - 1n;

const agent: SpanResource = {
  attributes: { 'service.name': 'claude-code', 'host.arch': 'arm64', pid: 4242, 'big.id': -(2n ** 63n) },
  droppedAttributesCount: 2,
  schemaUrl: 'https://opentelemetry.io/schemas/1.30.0',
};
const events: InstrumentationScope = {
  name: 'com.anthropic.claude_code.events',
  version: '2.0.1',
  attributes: { 'scope.kind': 'events' },
  droppedAttributesCount: 1,
  schemaUrl: 'scope-schema',
};
const other: InstrumentationScope = { name: 'other', version: '', attributes: {}, droppedAttributesCount: 0, schemaUrl: '' };
const bare: SpanResource = { attributes: {}, droppedAttributesCount: 0, schemaUrl: '' };
const noScope: InstrumentationScope = { name: '', version: '', attributes: {}, droppedAttributesCount: 0, schemaUrl: '' };

const record = (overrides: Partial<RawLogRecord>): RawLogRecord => emptyLog({ resource: agent, scope: events, ...overrides });

/** Records in the shapes decoders give: every field set somewhere, every AnyValue kind as a body, extreme integers. */
function richRecords(): RawLogRecord[] {
  return [
    record({
      timeUnixNano: 1_764_000_000_123_456_789n,
      observedTimeUnixNano: MAX_INT64,
      severityNumber: 24,
      severityText: 'FATAL',
      body: 'the answer',
      attributes: { 'session.id': 's-1', cost_usd: 0.0123, tokens: 0, empty: '', none: null, flag: false },
      droppedAttributesCount: 4_294_967_295,
      flags: 0xffffffff,
      traceId: '0102030405060708090a0b0c0d0e0f10',
      spanId: '1112131415161718',
      eventName: 'claude_code.api_request',
    }),
    record({ body: -(2n ** 63n), eventName: 'int', timeUnixNano: 1n }),
    record({ body: MAX_INT64 }),
    record({ body: Number.MAX_SAFE_INTEGER }),
    record({ body: -0.5 }),
    record({ body: true }),
    record({ body: new Uint8Array([0, 1, 254, 255]) }),
    record({ body: '' }),
    record({ body: 0 }),
    record({
      body: { role: 'user', parts: [{ type: 'text', content: 'hi' }, [1, 'two', null, 2n ** 62n]], empty: {}, list: [] },
    }),
    record({ body: ['a', 1, null, { nested: new Uint8Array([9]) }] }),
    record({ scope: other, body: 'another scope', severityNumber: 9 }),
    record({ resource: bare, scope: noScope, body: 'bare resource and scope' }),
    record({ body: 'back to the first resource' }),
  ];
}

describe('encodeLogsRequest', () => {
  it('decodeLogsRequest gives back every record, field for field, in order', () => {
    const records = richRecords();
    const decoded = decodeLogsRequest(encodeLogsRequest(records), 'protobuf');
    expect(decoded.rejectedRecords).toBe(0);
    expect(decoded.records).toEqual(records);
    expect(decoded.records[1].body).toBe(-(2n ** 63n));
    expect(decoded.records[2].body).toBe(MAX_INT64);
    expect(decoded.records[6].body).toBeInstanceOf(Uint8Array);
    expect(decoded.records[0].observedTimeUnixNano).toBe(MAX_INT64);
  });

  it('the generated decoder reads the same values, grouped by resource and scope in request order', () => {
    const records = richRecords();
    const request = ExportLogsServiceRequest.decode(encodeLogsRequest(records));
    expect(request.resourceLogs.map((rl) => rl.scopeLogs!.map((sl) => sl.logRecords!.length))).toEqual([[11, 1], [1], [1]]);
    const read: RawLogRecord[] = [];
    for (const rl of request.resourceLogs) {
      for (const sl of rl.scopeLogs!) {
        for (const lr of sl.logRecords!) {
          read.push({
            timeUnixNano: big(lr.timeUnixNano),
            observedTimeUnixNano: big(lr.observedTimeUnixNano),
            severityNumber: lr.severityNumber ?? 0,
            severityText: lr.severityText ?? '',
            body: anyValue(lr.body),
            attributes: attributes(lr.attributes),
            droppedAttributesCount: lr.droppedAttributesCount ?? 0,
            flags: lr.flags ?? 0,
            traceId: hex(lr.traceId),
            spanId: hex(lr.spanId),
            eventName: lr.eventName ?? '',
            resource: resource(rl.resource, rl.schemaUrl),
            scope: scope(sl.scope, sl.schemaUrl),
          });
        }
      }
    }
    expect(read).toEqual(records);
    const first = request.resourceLogs[0].scopeLogs![0].logRecords![0];
    expect(first.observedTimeUnixNano?.toString()).toBe(MAX_INT64.toString());
    expect(first.eventName).toBe('claude_code.api_request');
  });

  it('groups by the resource and scope objects decoders share, keeping the order', () => {
    const body = encodeLogsRequest([record({ body: 'a' }), record({ body: 'b', resource: bare }), record({ body: 'c' })]);
    const request = ExportLogsServiceRequest.decode(body);
    expect(request.resourceLogs.map((rl) => rl.scopeLogs!.flatMap((sl) => sl.logRecords!.map((lr) => lr.body?.stringValue)))).toEqual([
      ['a'],
      ['b'],
      ['c'],
    ]);
    // Records decoded from one ResourceLogs share one resource object again.
    const decoded = decodeLogsRequest(encodeLogsRequest(richRecords()), 'protobuf').records;
    expect(decoded[1].resource).toBe(decoded[0].resource);
    expect(decoded[11].scope).not.toBe(decoded[0].scope);
  });

  it('an empty list is an empty request', () => {
    const body = encodeLogsRequest([]);
    expect(body.length).toBe(0);
    expect(decodeLogsRequest(body, 'protobuf').records).toEqual([]);
  });
});
