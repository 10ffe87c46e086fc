import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeTraceRequest, encodeTraceRequest } from '../../src/otlp/index.js';

// examples/trace.json from open-telemetry/opentelemetry-proto, stored unchanged (no trailing newline).
const body = readFileSync(new URL('../fixtures/otlp/trace.json', import.meta.url));

describe('opentelemetry-proto examples/trace.json', () => {
  it('is the published file, byte for byte', () => {
    expect(body.length).toBe(1225);
    expect(createHash('sha256').update(body).digest('hex')).toBe(
      'a3e97a92221adec01cc954bf8f538ccc10e47612e8c287bcd1d4dca406b520ef',
    );
    // Uppercase hex ids and unquoted 64-bit timestamps: the two things a naive decoder gets wrong.
    expect(body.toString('utf8')).toContain('"traceId": "5B8EFFF798038103D269B633813FC60C"');
    expect(body.toString('utf8')).toContain('"startTimeUnixNano": 1544712660000000000');
  });

  it('decodes to the one server span it describes', () => {
    expect(decodeTraceRequest(body, 'json')).toEqual({
      spans: [
        {
          traceId: '5b8efff798038103d269b633813fc60c',
          spanId: 'eee19b7ec3c1b174',
          parentSpanId: 'eee19b7ec3c1b173',
          traceState: '',
          flags: 0,
          name: "I'm a server span",
          kind: 2,
          startTimeUnixNano: 1544712660000000000n,
          endTimeUnixNano: 1544712661000000000n,
          attributes: { 'my.span.attr': 'some value' },
          droppedAttributesCount: 0,
          events: [],
          droppedEventsCount: 0,
          links: [],
          droppedLinksCount: 0,
          statusCode: 0,
          statusMessage: '',
          resource: { attributes: { 'service.name': 'my.service' }, droppedAttributesCount: 0, schemaUrl: '' },
          scope: {
            name: 'my.library',
            version: '1.0.0',
            attributes: { 'my.scope.attribute': 'some scope attribute' },
            droppedAttributesCount: 0,
            schemaUrl: '',
          },
        },
      ],
      rejectedSpans: 0,
      rejectionMessage: null,
    });
  });

  it('re-encodes to protobuf and decodes to the same span', () => {
    const { spans } = decodeTraceRequest(body, 'json');
    expect(decodeTraceRequest(encodeTraceRequest(spans, 'protobuf'), 'protobuf').spans).toEqual(spans);
  });

  it('unquoted timestamps that a double cannot hold stay exact', () => {
    const text = body.toString('utf8').replace('1544712660000000000', '1544712660000000001');
    const [span] = decodeTraceRequest(Buffer.from(text), 'json').spans;
    expect(span.startTimeUnixNano).toBe(1544712660000000001n);
  });
});
