import { describe, expect, it } from 'vitest';
import { decodeTraceRequest, encodeTraceRequest, type OtlpFormat } from '../../src/otlp/index.js';
import { opentelemetry } from '../oracle/otlp/generated/otlp.js';
import { everyFieldSpans } from './raw-spans.js';

const ExportTraceServiceRequest = opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;

describe.each<OtlpFormat>(['protobuf', 'json'])('round trip, %s', (format) => {
  it('decode(encode(spans)) gives back every field, in order', () => {
    const spans = everyFieldSpans();
    const decoded = decodeTraceRequest(encodeTraceRequest(spans, format), format);
    expect(decoded.rejectedSpans).toBe(0);
    expect(decoded.rejectionMessage).toBeNull();
    expect(decoded.spans).toEqual(spans);
  });

  it('keeps bigint and Uint8Array values as such, and -0 as -0', () => {
    const [span] = decodeTraceRequest(encodeTraceRequest(everyFieldSpans(), format), format).spans;
    expect(span.attributes.big).toBe(2n ** 62n);
    expect(span.attributes.minInt64).toBe(-(2n ** 63n));
    expect(span.attributes.maxSafe).toBe(Number.MAX_SAFE_INTEGER);
    expect(span.attributes.bytes).toBeInstanceOf(Uint8Array);
    expect(Object.is(span.attributes.negativeZero, -0)).toBe(true);
    expect(Object.getPrototypeOf(span.attributes)).toBe(Object.prototype);
    expect(Object.keys(span.attributes)).toContain('__proto__');
    expect(span.endTimeUnixNano).toBe(9_223_372_036_854_775_807n);
  });

  it('groups consecutive spans of equal resource and scope', () => {
    const body = encodeTraceRequest(everyFieldSpans(), 'protobuf');
    const request = ExportTraceServiceRequest.decode(body);
    // spans 0-1 share a resource (equal, not identical) but not a scope; span 2 has another resource; span 3 returns to the first.
    expect(request.resourceSpans?.map((rs) => rs.scopeSpans?.map((ss) => ss.spans?.length))).toEqual([[1, 1], [1], [1]]);
  });

  it('an integral double comes back as an integer (documented limitation)', () => {
    const span = { ...everyFieldSpans()[2], attributes: { whole: 3.0, fraction: 3.5 } };
    const [back] = decodeTraceRequest(encodeTraceRequest([span], format), format).spans;
    expect(back.attributes).toEqual({ whole: 3, fraction: 3.5 });
  });

  it('an empty list encodes to an empty request', () => {
    const body = encodeTraceRequest([], format);
    expect(decodeTraceRequest(body, format)).toEqual({ spans: [], rejectedSpans: 0, rejectionMessage: null });
  });
});

describe('protobuf encoding against protobufjs code generated from opentelemetry-proto', () => {
  it('the generated decoder reads what encodeTraceRequest wrote', () => {
    const spans = everyFieldSpans();
    const request = ExportTraceServiceRequest.decode(encodeTraceRequest(spans, 'protobuf'));
    const rs = request.resourceSpans![0];
    expect(rs.schemaUrl).toBe('https://opentelemetry.io/schemas/1.28.0');
    expect(rs.resource?.droppedAttributesCount).toBe(2);
    const ss = rs.scopeSpans![0];
    expect(ss.scope?.name).toBe('@skein/agent');
    expect(ss.schemaUrl).toBe('https://opentelemetry.io/schemas/1.27.0');
    const span = ss.spans![0];
    expect(Buffer.from(span.traceId!).toString('hex')).toBe(spans[0].traceId);
    expect(Buffer.from(span.spanId!).toString('hex')).toBe(spans[0].spanId);
    expect(span.flags).toBe(0x301);
    expect(span.kind).toBe(2);
    expect(span.traceState).toBe('vendor=a,other=b');
    expect(span.startTimeUnixNano?.toString()).toBe('1760000000123456789');
    expect(span.endTimeUnixNano?.toString()).toBe('9223372036854775807');
    expect(span.droppedAttributesCount).toBe(3);
    expect(span.droppedEventsCount).toBe(4);
    expect(span.droppedLinksCount).toBe(6);
    expect(span.status?.code).toBe(2);
    expect(span.status?.message).toBe('rate limited');
    expect(span.links![0].flags).toBe(0x201);
    expect(span.links![0].droppedAttributesCount).toBe(5);
    expect(span.events![0].name).toBe('gen_ai.content.prompt');
    const big = span.attributes!.find((kv) => kv.key === 'big')!.value!;
    expect(big.intValue?.toString()).toBe((2n ** 62n).toString());
    const double = span.attributes!.find((kv) => kv.key === 'double')!.value!;
    expect(double.doubleValue).toBe(3.14);
    const bytes = span.attributes!.find((kv) => kv.key === 'bytes')!.value!;
    expect([...bytes.bytesValue!]).toEqual([0, 1, 254, 255]);
  });

  it('decodeTraceRequest reads what the generated encoder wrote, unknown fields and all', () => {
    const body = ExportTraceServiceRequest.encode({
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }], droppedAttributesCount: 1 },
          scopeSpans: [
            {
              scope: { name: 'lib', version: '2' },
              spans: [
                {
                  traceId: Buffer.from('0102030405060708090a0b0c0d0e0f10', 'hex'),
                  spanId: Buffer.from('1112131415161718', 'hex'),
                  flags: 0x101,
                  name: 'generated',
                  kind: 4,
                  startTimeUnixNano: 1_700_000_000_000_000_000,
                  endTimeUnixNano: 1_700_000_000_500_000_000,
                  attributes: [
                    { key: 'i', value: { intValue: -42 } },
                    { key: 'kv', value: { kvlistValue: { values: [{ key: 'a', value: { arrayValue: { values: [{ boolValue: true }] } } }] } } },
                  ],
                  links: [{ traceId: Buffer.from('0102030405060708090a0b0c0d0e0f11', 'hex'), spanId: Buffer.from('2122232425262728', 'hex'), flags: 0x300 }],
                  status: { code: 1 },
                },
              ],
            },
          ],
        },
      ],
    }).finish();
    // An unknown field (number 99, varint) appended to the request must be skipped.
    const withUnknown = Buffer.concat([body, Buffer.from([0x98, 0x06, 0x01])]);
    const { spans } = decodeTraceRequest(withUnknown, 'protobuf');
    expect(spans).toEqual([
      {
        traceId: '0102030405060708090a0b0c0d0e0f10',
        spanId: '1112131415161718',
        parentSpanId: null,
        traceState: '',
        flags: 0x101,
        name: 'generated',
        kind: 4,
        startTimeUnixNano: 1_700_000_000_000_000_000n,
        endTimeUnixNano: 1_700_000_000_500_000_000n,
        attributes: { i: -42, kv: { a: [true] } },
        droppedAttributesCount: 0,
        events: [],
        droppedEventsCount: 0,
        links: [
          { traceId: '0102030405060708090a0b0c0d0e0f11', spanId: '2122232425262728', traceState: '', attributes: {}, droppedAttributesCount: 0, flags: 0x300 },
        ],
        droppedLinksCount: 0,
        statusCode: 1,
        statusMessage: '',
        resource: { attributes: { 'service.name': 'svc' }, droppedAttributesCount: 1, schemaUrl: '' },
        scope: { name: 'lib', version: '2', attributes: {}, droppedAttributesCount: 0, schemaUrl: '' },
      },
    ]);
  });
});
