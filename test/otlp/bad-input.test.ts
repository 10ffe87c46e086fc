import { describe, expect, it } from 'vitest';
import type { RawSpan } from '../../src/model/types.js';
import {
  MAX_ANY_VALUE_DEPTH,
  OtlpDecodeError,
  decodeTraceRequest,
  encodeTraceRequest,
  type OtlpFormat,
} from '../../src/otlp/index.js';
import { everyFieldSpans } from './raw-spans.js';

const TRACE_ID = '5b8efff798038103d269b633813fc60c';
const SPAN_ID = 'eee19b7ec3c1b174';

/** A one-span OTLP/JSON request whose span object is `{<fields>}`. */
function jsonWithSpan(fields: string): Uint8Array {
  return Buffer.from(`{"resourceSpans":[{"scopeSpans":[{"spans":[{${fields}}]}]}]}`);
}

function decodeError(body: Uint8Array, format: OtlpFormat): OtlpDecodeError {
  try {
    decodeTraceRequest(body, format);
  } catch (error) {
    if (error instanceof OtlpDecodeError) return error;
    throw error;
  }
  throw new Error('expected the body to be rejected');
}

function varintLength(n: number): number {
  let length = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 0x80);
    length++;
  }
  return length;
}

describe('malformed protobuf bodies (400)', () => {
  it('a truncated request names the field that runs past the end', () => {
    // Two spans of one resource: the request is a single ResourceSpans field (tag at 0, length prefix from 1).
    const full = Buffer.from(encodeTraceRequest(everyFieldSpans().slice(0, 2), 'protobuf'));
    let declared = 0;
    let scale = 1;
    let pos = 1;
    for (let b = 0x80; b >= 0x80; scale *= 128) {
      b = full[pos++];
      declared += (b & 0x7f) * scale;
    }
    expect(pos + declared).toBe(full.length);
    const truncated = full.subarray(0, full.length - 10);
    expect(decodeError(truncated, 'protobuf').message).toBe(
      `truncated protobuf: the value at byte offset 1 needs ${declared} bytes but only ${declared - 10} remain`,
    );
  });

  it('a span longer than its ScopeSpans is reported with its path', () => {
    // ResourceSpans(6 bytes){ ScopeSpans(4 bytes){ Span declared 50 bytes, 2 present } }
    const body = new Uint8Array([0x0a, 0x06, 0x12, 0x04, 0x12, 0x32, 0x0a, 0x00]);
    expect(decodeError(body, 'protobuf').message).toBe(
      'truncated protobuf in resourceSpans[0].scopeSpans[0]: the value at byte offset 5 needs 50 bytes but only 2 remain',
    );
  });

  it('a fixed64 cut short inside a span', () => {
    // Span{ start_time_unix_nano (field 7, fixed64) with 3 of its 8 bytes }
    const span = [0x39, 0x01, 0x02, 0x03];
    const scope = [0x12, span.length, ...span];
    const resource = [0x12, scope.length, ...scope];
    const body = new Uint8Array([0x0a, resource.length, ...resource]);
    expect(decodeError(body, 'protobuf').message).toBe(
      'truncated protobuf in resourceSpans[0].scopeSpans[0].spans[0]: the value at byte offset 7 needs 8 bytes but only 3 remain',
    );
  });

  it('garbage bytes', () => {
    expect(decodeError(new Uint8Array([0xde, 0xad, 0xbe, 0xef, 0x00, 0xff]), 'protobuf').message).toBe(
      'malformed protobuf: the tag at byte offset 0 has invalid wire type 6 (field 29225691)',
    );
    expect(decodeError(Buffer.from('this is not protobuf'), 'protobuf').message).toBe(
      'malformed protobuf: the tag at byte offset 0 has invalid wire type 4 (field 14)',
    );
  });

  it('field number 0', () => {
    expect(decodeError(new Uint8Array([0x00, 0x01]), 'protobuf').message).toBe(
      'malformed protobuf: the tag at byte offset 0 has field number 0',
    );
  });

  it('an unknown field that runs past the end', () => {
    // field 9 of the request (unknown), length-delimited, declares 10 bytes, has 1
    expect(decodeError(new Uint8Array([0x4a, 0x0a, 0x00]), 'protobuf').message).toBe(
      'truncated protobuf: field 9 at byte offset 0 runs past the end of its message',
    );
  });
});

describe('malformed OTLP/JSON bodies (400)', () => {
  it('garbage bytes: the JSON parser says where', () => {
    const text = 'GET / HTTP/1.1';
    let parserMessage = '';
    try {
      JSON.parse(text);
    } catch (error) {
      parserMessage = (error as Error).message;
    }
    expect(decodeError(Buffer.from(text), 'json').message).toBe(`invalid JSON: ${parserMessage}`);
  });

  it('JSON that is not a request object', () => {
    expect(decodeError(Buffer.from('[1,2]'), 'json').message).toBe(
      'invalid OTLP/JSON: the body must be an ExportTraceServiceRequest object, got an array',
    );
    expect(decodeError(Buffer.from('{"resourceSpans":{}}'), 'json').message).toBe(
      'resourceSpans: expected an array, got an object',
    );
  });

  it('base64 ids (the proto3 default) are not hex', () => {
    const body = jsonWithSpan('"traceId":"W47/95gDgQPSabYzgT/GDA==","spanId":"7uGbfsPBsXQ="');
    expect(decodeError(body, 'json').message).toBe(
      'resourceSpans[0].scopeSpans[0].spans[0].traceId: "W47/95gDgQPSabYzgT/GDA==" is not hex; ' +
        'OTLP/JSON encodes trace and span ids as hex, not base64',
    );
  });

  it('an id with an odd number of hex digits', () => {
    expect(decodeError(jsonWithSpan(`"traceId":"${TRACE_ID}","spanId":"abc"`), 'json').message).toBe(
      'resourceSpans[0].scopeSpans[0].spans[0].spanId: "abc" has an odd number of hex digits',
    );
  });

  it('enum names instead of integers', () => {
    expect(decodeError(jsonWithSpan(`"traceId":"${TRACE_ID}","spanId":"${SPAN_ID}","kind":"SPAN_KIND_SERVER"`), 'json').message).toBe(
      'resourceSpans[0].scopeSpans[0].spans[0].kind: enum name "SPAN_KIND_SERVER" is not allowed; ' +
        'OTLP/JSON encodes enums as integers (SPAN_KIND_SERVER = 2)',
    );
    const status = `"traceId":"${TRACE_ID}","spanId":"${SPAN_ID}","status":{"code":"STATUS_CODE_ERROR"}`;
    expect(decodeError(jsonWithSpan(status), 'json').message).toBe(
      'resourceSpans[0].scopeSpans[0].spans[0].status.code: enum name "STATUS_CODE_ERROR" is not allowed; ' +
        'OTLP/JSON encodes enums as integers (STATUS_CODE_ERROR = 2)',
    );
  });

  it('wrong value types name the field and what arrived', () => {
    expect(decodeError(jsonWithSpan(`"traceId":"${TRACE_ID}","spanId":"${SPAN_ID}","name":7`), 'json').message).toBe(
      'resourceSpans[0].scopeSpans[0].spans[0].name: expected a string, got number 7',
    );
    expect(
      decodeError(jsonWithSpan(`"traceId":"${TRACE_ID}","spanId":"${SPAN_ID}","startTimeUnixNano":-1`), 'json').message,
    ).toBe(
      'resourceSpans[0].scopeSpans[0].spans[0].startTimeUnixNano: expected an unsigned 64-bit integer (number or decimal string), got number -1',
    );
    const twoValues = `"traceId":"${TRACE_ID}","spanId":"${SPAN_ID}","attributes":[{"key":"a","value":{"stringValue":"x","intValue":"1"}}]`;
    expect(decodeError(jsonWithSpan(twoValues), 'json').message).toBe(
      'resourceSpans[0].scopeSpans[0].spans[0].attributes[0].value: more than one value is set; AnyValue holds exactly one',
    );
    const badBytes = `"traceId":"${TRACE_ID}","spanId":"${SPAN_ID}","attributes":[{"key":"b","value":{"bytesValue":"not base64!"}}]`;
    expect(decodeError(jsonWithSpan(badBytes), 'json').message).toBe(
      'resourceSpans[0].scopeSpans[0].spans[0].attributes[0].value.bytesValue: expected base64 bytes, got the string "not base64!"',
    );
  });
});

describe('what the JSON spec says to accept or ignore', () => {
  it('snake_case keys are unknown fields, ignored: an empty request', () => {
    const body = Buffer.from(
      `{"resource_spans":[{"scope_spans":[{"spans":[{"traceId":"${TRACE_ID}","spanId":"${SPAN_ID}"}]}]}]}`,
    );
    expect(decodeTraceRequest(body, 'json')).toEqual({ spans: [], rejectedSpans: 0, rejectionMessage: null });
  });

  it('snake_case id keys are ignored, so the span has no ids and is rejected alone', () => {
    const body = jsonWithSpan(`"trace_id":"${TRACE_ID}","span_id":"${SPAN_ID}","name":"snake"`);
    expect(decodeTraceRequest(body, 'json')).toEqual({
      spans: [],
      rejectedSpans: 1,
      rejectionMessage: '1 span rejected: resourceSpans[0].scopeSpans[0].spans[0]: traceId must be 16 bytes, got 0',
    });
  });

  it('hex ids in either case; 64-bit integers as numbers or strings, exactly', () => {
    const body = jsonWithSpan(
      `"traceId":"${TRACE_ID.toUpperCase()}","spanId":"EeE19b7eC3c1B174","startTimeUnixNano":9223372036854775806,` +
        `"endTimeUnixNano":"9223372036854775807","flags":"257","attributes":[` +
        `{"key":"n","value":{"intValue":9223372036854775807}},{"key":"s","value":{"intValue":"-9223372036854775808"}},` +
        `{"key":"small","value":{"intValue":42}},{"key":"d","value":{"doubleValue":"Infinity"}},` +
        `{"key":"text","value":{"stringValue":"ids: 12345678901234567890"}}]`,
    );
    const [span] = decodeTraceRequest(body, 'json').spans;
    expect(span.traceId).toBe(TRACE_ID);
    expect(span.spanId).toBe(SPAN_ID);
    expect(span.startTimeUnixNano).toBe(9223372036854775806n);
    expect(span.endTimeUnixNano).toBe(9223372036854775807n);
    expect(span.flags).toBe(257);
    expect(span.attributes).toEqual({
      n: 9223372036854775807n,
      s: -9223372036854775808n,
      small: 42,
      d: Infinity,
      text: 'ids: 12345678901234567890',
    });
  });

  it('unknown fields anywhere are ignored', () => {
    const body = jsonWithSpan(`"traceId":"${TRACE_ID}","spanId":"${SPAN_ID}","futureField":{"x":[1,2]},"attributes":[{"key":"a","value":{"stringValue":"v","futureValue":1}}]`);
    const [span] = decodeTraceRequest(body, 'json').spans;
    expect(span.attributes).toEqual({ a: 'v' });
  });
});

describe('spans rejected one by one (partial success)', () => {
  const good = (n: number): RawSpan => ({ ...everyFieldSpans()[2], spanId: `000000000000000${n}`, name: `good ${n}` });

  it.each<OtlpFormat>(['protobuf', 'json'])('a 4-byte span id among good spans, %s', (format) => {
    const spans = [good(1), { ...good(2), spanId: '01020304' }, good(3)];
    const decoded = decodeTraceRequest(encodeTraceRequest(spans, format), format);
    expect(decoded.spans.map((s) => s.name)).toEqual(['good 1', 'good 3']);
    expect(decoded.rejectedSpans).toBe(1);
    expect(decoded.rejectionMessage).toBe(
      '1 span rejected: resourceSpans[0].scopeSpans[0].spans[1]: spanId must be 8 bytes, got 4',
    );
  });

  it.each<OtlpFormat>(['protobuf', 'json'])('all-zero ids, bad link ids, parent and enum values out of range, %s', (format) => {
    const zeroLink = { traceId: '0'.repeat(32), spanId: SPAN_ID, traceState: '', attributes: {}, droppedAttributesCount: 0, flags: 0 };
    const spans: RawSpan[] = [
      { ...good(1), traceId: '0'.repeat(32) },
      { ...good(2), spanId: '0'.repeat(16) },
      { ...good(3), links: [zeroLink] },
      { ...good(4), parentSpanId: 'abcd' },
      { ...good(5), kind: 9 as RawSpan['kind'] },
      { ...good(6), statusCode: 3 as RawSpan['statusCode'] },
      good(7),
    ];
    const decoded = decodeTraceRequest(encodeTraceRequest(spans, format), format);
    expect(decoded.spans.map((s) => s.name)).toEqual(['good 7']);
    expect(decoded.rejectedSpans).toBe(6);
    expect(decoded.rejectionMessage).toBe(
      '6 spans rejected: resourceSpans[0].scopeSpans[0].spans[0]: traceId is all zeroes; ' +
        'resourceSpans[0].scopeSpans[0].spans[1]: spanId is all zeroes; ' +
        'resourceSpans[0].scopeSpans[0].spans[2]: links[0].traceId is all zeroes; ' +
        'resourceSpans[0].scopeSpans[0].spans[3]: parentSpanId must be empty or 8 bytes, got 2; ' +
        'resourceSpans[0].scopeSpans[0].spans[4]: kind 9 is not a SpanKind (0-5); and 1 more',
    );
  });

  it.each<OtlpFormat>(['protobuf', 'json'])(
    'times past 2^63-1 (start, end, an event) and session ids over 4,096 characters, %s',
    (format) => {
      const event = (timeUnixNano: bigint) => ({ name: 'e', timeUnixNano, attributes: {}, droppedAttributesCount: 0 });
      const spans: RawSpan[] = [
        { ...good(1), endTimeUnixNano: 2n ** 64n - 1n },
        { ...good(2), startTimeUnixNano: 2n ** 63n, endTimeUnixNano: null },
        { ...good(3), events: [event(1n), event(2n ** 64n - 1n)] },
        { ...good(4), attributes: { 'gen_ai.conversation.id': 'c'.repeat(4097) } },
        { ...good(5), endTimeUnixNano: 2n ** 63n - 1n, attributes: { 'session.id': 'c'.repeat(4096) } },
      ];
      const decoded = decodeTraceRequest(encodeTraceRequest(spans, format), format);
      expect(decoded.spans.map((s) => s.name)).toEqual(['good 5']);
      expect(decoded.rejectionMessage).toBe(
        '4 spans rejected: resourceSpans[0].scopeSpans[0].spans[0]: endTimeUnixNano 18446744073709551615 is past the largest time Skein stores (2^63-1 ns); ' +
          'resourceSpans[0].scopeSpans[0].spans[1]: startTimeUnixNano 9223372036854775808 is past the largest time Skein stores (2^63-1 ns); ' +
          'resourceSpans[0].scopeSpans[0].spans[2]: events[1].timeUnixNano 18446744073709551615 is past the largest time Skein stores (2^63-1 ns); ' +
          'resourceSpans[0].scopeSpans[0].spans[3]: attributes["gen_ai.conversation.id"] is 4097 characters long; a session id may have at most 4096',
      );
    },
  );

  it('OTLP/JSON: counts and flags beyond 32 bits, and enums as long literals, reject their span alone', () => {
    const span = (n: number, extra: string) =>
      `{"traceId":"${TRACE_ID}","spanId":"000000000000000${n}","name":"s${n}"${extra}}`;
    const body = Buffer.from(
      `{"resourceSpans":[{"scopeSpans":[{"spans":[` +
        [
          span(1, ',"droppedEventsCount":4294967296'),
          span(2, ',"flags":"-1"'),
          span(3, `,"links":[{"traceId":"${TRACE_ID}","spanId":"${SPAN_ID}","flags":18446744073709551616}]`),
          span(4, ',"kind":9223372036854775808'),
          span(5, ',"status":{"code":"2"},"kind":"3","flags":4294967295'),
        ].join(',') +
        `]}]}]}`,
    );
    const decoded = decodeTraceRequest(body, 'json');
    expect(decoded.spans.map((s) => [s.name, s.kind, s.statusCode, s.flags])).toEqual([['s5', 3, 2, 4294967295]]);
    expect(decoded.rejectionMessage).toBe(
      '4 spans rejected: resourceSpans[0].scopeSpans[0].spans[0]: droppedEventsCount 4294967296 is not an unsigned 32-bit integer; ' +
        'resourceSpans[0].scopeSpans[0].spans[1]: flags -1 is not an unsigned 32-bit integer; ' +
        'resourceSpans[0].scopeSpans[0].spans[2]: links[0].flags 18446744073709551616 is not an unsigned 32-bit integer; ' +
        'resourceSpans[0].scopeSpans[0].spans[3]: kind 9223372036854775808 is not a SpanKind (0-5)',
    );
    // Not an integer at all is still a malformed request.
    expect(decodeError(jsonWithSpan('"droppedEventsCount":1.5'), 'json').message).toBe(
      'resourceSpans[0].scopeSpans[0].spans[0].droppedEventsCount: expected an unsigned 32-bit integer, got number 1.5',
    );
  });

  it('protobuf: a resource dropped count beyond 32 bits is a malformed request, as in OTLP/JSON', () => {
    // ResourceSpans { resource { dropped_attributes_count = 2^40 } }
    const body = new Uint8Array([0x0a, 0x09, 0x0a, 0x07, 0x10, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20]);
    expect(decodeError(body, 'protobuf').message).toBe(
      'malformed protobuf in resourceSpans[0] at byte offset 5: resource.droppedAttributesCount 1099511627776 is not an unsigned 32-bit integer',
    );
    const json = Buffer.from('{"resourceSpans":[{"resource":{"droppedAttributesCount":1099511627776}}]}');
    expect(decodeError(json, 'json').message).toBe(
      'resourceSpans[0].resource.droppedAttributesCount: expected an unsigned 32-bit integer, got number 1099511627776',
    );
  });

  it.each<OtlpFormat>(['protobuf', 'json'])('an all-zero parent span id means a root span, %s', (format) => {
    const [span] = decodeTraceRequest(encodeTraceRequest([{ ...good(1), parentSpanId: '0'.repeat(16) }], format), format).spans;
    expect(span.parentSpanId).toBeNull();
  });
});

describe('empty requests', () => {
  it.each<OtlpFormat>(['protobuf', 'json'])('an empty body is zero spans, %s', (format) => {
    expect(decodeTraceRequest(new Uint8Array(0), format)).toEqual({ spans: [], rejectedSpans: 0, rejectionMessage: null });
  });

  it('an empty JSON object is zero spans', () => {
    expect(decodeTraceRequest(Buffer.from('{}'), 'json').spans).toEqual([]);
  });
});

describe('deeply nested AnyValue bombs are refused, not a stack overflow', () => {
  const LEVELS = 100_000;

  it('protobuf', () => {
    // AnyValue{array_value: ArrayValue{values: AnyValue{...}}} nested LEVELS deep, written outside-in.
    const anyLength: number[] = [0]; // anyLength[k]: bytes of the AnyValue k levels deep from the innermost
    const arrayLength: number[] = [0];
    for (let k = 1; k <= LEVELS; k++) {
      arrayLength[k] = 1 + varintLength(anyLength[k - 1]) + anyLength[k - 1];
      anyLength[k] = 1 + varintLength(arrayLength[k]) + arrayLength[k];
    }
    const bytes: number[] = [];
    const pushVarint = (n: number): void => {
      while (n >= 0x80) {
        bytes.push((n % 0x80) | 0x80);
        n = Math.floor(n / 0x80);
      }
      bytes.push(n);
    };
    for (let k = LEVELS; k >= 1; k--) {
      bytes.push(0x2a); // array_value
      pushVarint(arrayLength[k]);
      bytes.push(0x0a); // values
      pushVarint(anyLength[k - 1]);
    }
    const value = Buffer.from(bytes);
    const key = Buffer.from([0x0a, 0x01, 0x62]); // key "b"
    const keyValue = Buffer.concat([key, Buffer.from([0x12]), varintBuffer(value.length), value]);
    const ids = Buffer.concat([Buffer.from([0x0a, 0x10]), Buffer.from(TRACE_ID, 'hex'), Buffer.from([0x12, 0x08]), Buffer.from(SPAN_ID, 'hex')]);
    const span = Buffer.concat([ids, Buffer.from([0x4a]), varintBuffer(keyValue.length), keyValue]);
    const scope = Buffer.concat([Buffer.from([0x12]), varintBuffer(span.length), span]);
    const resource = Buffer.concat([Buffer.from([0x12]), varintBuffer(scope.length), scope]);
    const body = Buffer.concat([Buffer.from([0x0a]), varintBuffer(resource.length), resource]);
    const error = decodeError(body, 'protobuf');
    expect(error.message).toMatch(
      new RegExp(`^attribute value in resourceSpans\\[0\\]\\.scopeSpans\\[0\\]\\.spans\\[0\\] is nested more than ${MAX_ANY_VALUE_DEPTH} levels deep \\(byte offset \\d+\\)$`),
    );
  });

  it('JSON', () => {
    const value = '{"arrayValue":{"values":['.repeat(LEVELS) + '{}' + ']}}'.repeat(LEVELS);
    const body = jsonWithSpan(`"traceId":"${TRACE_ID}","spanId":"${SPAN_ID}","attributes":[{"key":"b","value":${value}}]`);
    expect(decodeError(body, 'json').message).toBe(
      `resourceSpans[0].scopeSpans[0].spans[0].attributes[0].value: attribute value is nested more than ${MAX_ANY_VALUE_DEPTH} levels deep`,
    );
  });

  it(`${MAX_ANY_VALUE_DEPTH} levels are accepted`, () => {
    let nested: RawSpan['attributes'][string] = 'leaf';
    for (let i = 1; i < MAX_ANY_VALUE_DEPTH; i++) nested = [nested];
    for (const format of ['protobuf', 'json'] as const) {
      const [span] = decodeTraceRequest(encodeTraceRequest([{ ...everyFieldSpans()[2], attributes: { nested } }], format), format).spans;
      expect(span.attributes.nested).toEqual(nested);
    }
  });
});

function varintBuffer(n: number): Buffer {
  const bytes: number[] = [];
  while (n >= 0x80) {
    bytes.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  bytes.push(n);
  return Buffer.from(bytes);
}
