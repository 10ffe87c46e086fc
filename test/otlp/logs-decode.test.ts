import { describe, expect, it } from 'vitest';
import type { AttributeValue } from '../../src/model/types.js';
import {
  MAX_ANY_VALUE_DEPTH,
  OtlpDecodeError,
  type OtlpFormat,
  decodeJsonLogsRequest,
  decodeLogsRequest,
  decodeMetricsRequest,
  decodeProtobufLogsRequest,
} from '../../src/otlp/index.js';
import { opentelemetry } from '../oracle/otlp/generated/otlp.js';
import { long } from './oracle-longs.js';

const ExportLogsServiceRequest = opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
type OracleAnyValue = opentelemetry.proto.common.v1.AnyValue.$Properties;

const TRACE_ID = '0102030405060708090a0b0c0d0e0f10';
const SPAN_ID = '1112131415161718';
const T = 1_764_000_000_123_456_789n; // not a safe integer: must come back exact
const OBSERVED = 1_764_000_000_987_654_321n;

/** One body of each AnyValue kind, as the oracle encodes it and as Skein must read it. */
const BODIES: [string, OracleAnyValue, AttributeValue][] = [
  ['string', { stringValue: 'the answer' }, 'the answer'],
  ['int', { intValue: long(-(2n ** 62n)) }, -(2n ** 62n)],
  ['small int', { intValue: 42 }, 42],
  ['double', { doubleValue: 2.5 }, 2.5],
  ['bool', { boolValue: true }, true],
  ['bytes', { bytesValue: new Uint8Array([0, 1, 254, 255]) }, new Uint8Array([0, 1, 254, 255])],
  ['array', { arrayValue: { values: [{ stringValue: 'a' }, { intValue: 1 }, {}] } }, ['a', 1, null]],
  [
    'kvlist',
    { kvlistValue: { values: [{ key: 'role', value: { stringValue: 'user' } }, { key: 'n', value: { doubleValue: 0.5 } }] } },
    { role: 'user', n: 0.5 },
  ],
  ['absent', {}, null],
];

function oracleRequest(body: OracleAnyValue): Uint8Array {
  return ExportLogsServiceRequest.encode({
    resourceLogs: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'claude-code' } }], droppedAttributesCount: 2 },
        schemaUrl: 'https://opentelemetry.io/schemas/1.30.0',
        scopeLogs: [
          {
            scope: { name: 'com.anthropic.claude_code.events', version: '2.0.1', droppedAttributesCount: 1 },
            schemaUrl: 'scope-schema',
            logRecords: [
              {
                timeUnixNano: long(T),
                observedTimeUnixNano: long(OBSERVED),
                severityNumber: 9,
                severityText: 'INFO',
                body,
                attributes: [
                  { key: 'session.id', value: { stringValue: 's-1' } },
                  { key: 'cost_usd', value: { doubleValue: 0.0123 } },
                ],
                droppedAttributesCount: 3,
                flags: 1,
                traceId: Buffer.from(TRACE_ID, 'hex'),
                spanId: Buffer.from(SPAN_ID, 'hex'),
                eventName: 'claude_code.api_request',
              },
            ],
          },
        ],
      },
    ],
  }).finish();
}

describe('decodeProtobufLogsRequest against the generated encoder', () => {
  it.each(BODIES)('reads every field of a record whose body is %s', (_kind, oracleBody, expected) => {
    const { records, rejectedRecords, rejectionMessage } = decodeProtobufLogsRequest(oracleRequest(oracleBody));
    expect(rejectedRecords).toBe(0);
    expect(rejectionMessage).toBeNull();
    expect(records).toEqual([
      {
        timeUnixNano: T,
        observedTimeUnixNano: OBSERVED,
        severityNumber: 9,
        severityText: 'INFO',
        body: expected,
        attributes: { 'session.id': 's-1', cost_usd: 0.0123 },
        droppedAttributesCount: 3,
        flags: 1,
        traceId: TRACE_ID,
        spanId: SPAN_ID,
        eventName: 'claude_code.api_request',
        resource: {
          attributes: { 'service.name': 'claude-code' },
          droppedAttributesCount: 2,
          schemaUrl: 'https://opentelemetry.io/schemas/1.30.0',
        },
        scope: {
          name: 'com.anthropic.claude_code.events',
          version: '2.0.1',
          attributes: {},
          droppedAttributesCount: 1,
          schemaUrl: 'scope-schema',
        },
      },
    ]);
    if (expected instanceof Uint8Array) expect(records[0].body).toBeInstanceOf(Uint8Array);
  });

  it('reads absent ids, and ids of the wrong length or all zeroes, as null (not associated)', () => {
    const body = ExportLogsServiceRequest.encode({
      resourceLogs: [
        {
          scopeLogs: [
            {
              logRecords: [
                { eventName: 'none' },
                { traceId: Buffer.alloc(16), spanId: Buffer.alloc(8), eventName: 'zeroes' },
                { traceId: Buffer.from('0102', 'hex'), spanId: Buffer.from('01020304050607080910', 'hex'), eventName: 'short' },
              ],
            },
          ],
        },
      ],
    }).finish();
    const { records } = decodeProtobufLogsRequest(body);
    expect(records.map((r) => [r.eventName, r.traceId, r.spanId])).toEqual([
      ['none', null, null],
      ['zeroes', null, null],
      ['short', null, null],
    ]);
    expect(records[0].scope).toEqual({ name: '', version: '', attributes: {}, droppedAttributesCount: 0, schemaUrl: '' });
    expect(records[0].resource).toEqual({ attributes: {}, droppedAttributesCount: 0, schemaUrl: '' });
  });

  it('skips unknown fields, and rejects one record with an out-of-range severity while keeping the others', () => {
    const body = ExportLogsServiceRequest.encode({
      resourceLogs: [{ scopeLogs: [{ logRecords: [{ severityNumber: 25 as never }, { severityNumber: 17, eventName: 'kept' }] }] }],
    }).finish();
    const withUnknown = Buffer.concat([body, Buffer.from([0x98, 0x06, 0x01])]);
    const decoded = decodeProtobufLogsRequest(withUnknown);
    expect(decoded.records.map((r) => r.eventName)).toEqual(['kept']);
    expect(decoded.rejectedRecords).toBe(1);
    expect(decoded.rejectionMessage).toBe(
      '1 log record rejected: resourceLogs[0].scopeLogs[0].logRecords[0]: severityNumber 25 is not a SeverityNumber (0-24)',
    );
  });

  it('rejects a truncated body and a wrong wire type with an OtlpDecodeError naming where', () => {
    const whole = oracleRequest({ stringValue: 'hello' });
    expect(() => decodeProtobufLogsRequest(whole.subarray(0, whole.length - 3))).toThrow(OtlpDecodeError);
    expect(() => decodeProtobufLogsRequest(whole.subarray(0, whole.length - 3))).toThrow(/truncated protobuf/);
    // field 1 (resourceLogs) with wire type 7, which does not exist
    expect(() => decodeProtobufLogsRequest(new Uint8Array([0x0f]))).toThrow(/invalid wire type 7 \(field 1\)/);
    // a record whose time (fixed64) runs past the end of its message
    const cut = ExportLogsServiceRequest.encode({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ eventName: 'x' }] }] }] }).finish();
    const bad = Buffer.from(cut);
    // replace the record's content (tag 12 LEN "x" = 0x62 0x01 0x78) with a fixed64 tag and 2 bytes
    bad.set([0x09, 0x00, 0x00], bad.length - 3);
    expect(() => decodeProtobufLogsRequest(bad)).toThrow(/truncated protobuf in resourceLogs\[0\]\.scopeLogs\[0\]\.logRecords\[0\]/);
  });
});

describe('decodeJsonLogsRequest', () => {
  const json = (value: unknown): Uint8Array => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value, null, 2));
  const one = (record: unknown): unknown => ({ resourceLogs: [{ scopeLogs: [{ logRecords: [record] }] }] });

  it('reads the OTLP/JSON form field by field, with exact long times and hex ids', () => {
    const text = `{"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"codex"}}]},
      "scopeLogs":[{"scope":{"name":"codex_otel","version":"0.1"},"logRecords":[{
        "timeUnixNano":${T},"observedTimeUnixNano":"${OBSERVED}","severityNumber":13,"severityText":"WARN",
        "body":{"kvlistValue":{"values":[{"key":"prompt","value":{"stringValue":"hi"}},{"key":"n","value":{"intValue":"9007199254740993"}}]}},
        "attributes":[{"key":"k","value":{"boolValue":false}}],"droppedAttributesCount":1,"flags":1,
        "traceId":"${TRACE_ID.toUpperCase()}","spanId":"${SPAN_ID}","eventName":"codex.user_prompt","futureField":{"x":1}}]}]}]}`;
    const { records, rejectedRecords } = decodeJsonLogsRequest(json(text));
    expect(rejectedRecords).toBe(0);
    expect(records).toEqual([
      {
        timeUnixNano: T,
        observedTimeUnixNano: OBSERVED,
        severityNumber: 13,
        severityText: 'WARN',
        body: { prompt: 'hi', n: 9007199254740993n },
        attributes: { k: false },
        droppedAttributesCount: 1,
        flags: 1,
        traceId: TRACE_ID,
        spanId: SPAN_ID,
        eventName: 'codex.user_prompt',
        resource: { attributes: { 'service.name': 'codex' }, droppedAttributesCount: 0, schemaUrl: '' },
        scope: { name: 'codex_otel', version: '0.1', attributes: {}, droppedAttributesCount: 0, schemaUrl: '' },
      },
    ]);
  });

  it('tolerates the severity as its enum name, intValue as a number or a string, and an empty AnyValue', () => {
    const decoded = decodeJsonLogsRequest(
      json({
        resourceLogs: [
          {
            scopeLogs: [
              {
                logRecords: [
                  { severityNumber: 'SEVERITY_NUMBER_ERROR2', body: { intValue: 7 } },
                  { severityNumber: '21', body: { intValue: '-7' } },
                  { body: {} },
                  { body: { arrayValue: { values: [{ bytesValue: 'AAH+/w==' }, { doubleValue: 1.5 }] } } },
                ],
              },
            ],
          },
        ],
      }),
    );
    expect(decoded.records.map((r) => [r.severityNumber, r.body])).toEqual([
      [18, 7],
      [21, -7],
      [0, null],
      [0, [new Uint8Array([0, 1, 254, 255]), 1.5]],
    ]);
  });

  it('reads hex ids of the wrong length or all zeroes as null', () => {
    const { records } = decodeJsonLogsRequest(json(one({ traceId: '00'.repeat(16), spanId: 'abcd' })));
    expect([records[0].traceId, records[0].spanId]).toEqual([null, null]);
  });

  it.each([
    ['a non-object body', '[1,2]', /must be an ExportLogsServiceRequest object, got an array/],
    ['invalid JSON', '{"resourceLogs": [', /invalid JSON/],
    ['a base64 id', one({ traceId: 'AQIDBAUGBwgJCgsMDQ4PEA==' }), /logRecords\[0\]\.traceId: .* is not hex/],
    ['an unknown severity name', one({ severityNumber: 'SEVERITY_NUMBER_LOUD' }), /logRecords\[0\]\.severityNumber: "SEVERITY_NUMBER_LOUD" is not a known enum name/],
    ['a non-integer intValue', one({ body: { intValue: 1.5 } }), /logRecords\[0\]\.body\.intValue: expected a signed 64-bit integer/],
    ['a string time that is not digits', one({ timeUnixNano: 'soon' }), /logRecords\[0\]\.timeUnixNano: expected an unsigned 64-bit integer/],
    ['two AnyValue members', one({ body: { stringValue: 'a', intValue: 1 } }), /logRecords\[0\]\.body: more than one value is set/],
  ])('rejects %s with an OtlpDecodeError naming the field', (_name, body, message) => {
    const bytes = json(body);
    expect(() => decodeJsonLogsRequest(bytes)).toThrow(OtlpDecodeError);
    expect(() => decodeJsonLogsRequest(bytes)).toThrow(message);
  });
});

describe('decodeLogsRequest and decodeMetricsRequest', () => {
  it.each<OtlpFormat>(['protobuf', 'json'])('read an empty %s body as an empty request, as for traces', (format) => {
    expect(decodeLogsRequest(new Uint8Array(0), format)).toEqual({ records: [], rejectedRecords: 0, rejectionMessage: null });
    expect(decodeMetricsRequest(new Uint8Array(0), format)).toMatchObject({ metrics: [], dataPoints: 0, rejectedDataPoints: 0 });
  });

  it('dispatch on the format', () => {
    const body = ExportLogsServiceRequest.encode({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ eventName: 'e' }] }] }] }).finish();
    expect(decodeLogsRequest(body, 'protobuf').records.map((r) => r.eventName)).toEqual(['e']);
    const text = Buffer.from('{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"eventName":"j"}]}]}]}');
    expect(decodeLogsRequest(text, 'json').records.map((r) => r.eventName)).toEqual(['j']);
  });

  it('refuses a body nested deeper than MAX_ANY_VALUE_DEPTH, naming the record', () => {
    // Written by hand: the generated encoder refuses to nest this deep itself.
    const field = (tagByte: number, payload: Buffer): Buffer => {
      const length: number[] = [];
      for (let n = payload.length; ; n >>>= 7) {
        if (n < 0x80) {
          length.push(n);
          break;
        }
        length.push((n & 0x7f) | 0x80);
      }
      return Buffer.concat([Buffer.from([tagByte, ...length]), payload]);
    };
    let value = field(0x0a, Buffer.from('leaf')); // AnyValue.string_value
    for (let i = 0; i < MAX_ANY_VALUE_DEPTH + 1; i++) value = field(0x2a, field(0x0a, value)); // array_value.values
    const body = field(0x0a, field(0x12, field(0x12, field(0x2a, value)))); // resourceLogs.scopeLogs.logRecords.body
    expect(() => decodeLogsRequest(body, 'protobuf')).toThrow(
      /attribute value in resourceLogs\[0\]\.scopeLogs\[0\]\.logRecords\[0\] is nested more than 64 levels deep/,
    );
  });
});
