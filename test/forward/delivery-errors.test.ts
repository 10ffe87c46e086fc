import { describe, expect, it } from 'vitest';
import { describeBody, describeFetchError } from '../../src/forward/delivery-errors.js';
import { encodeStatus } from '../../src/otlp/index.js';

describe('describeBody', () => {
  it('describes an upstream answer: protobuf Status decoded, JSON and text as sent', () => {
    expect(describeBody(encodeStatus('protobuf', 3, 'bad span'), 'application/x-protobuf')).toBe(
      'google.rpc.Status code 3: bad span',
    );
    expect(describeBody(new TextEncoder().encode('{"message":"nope"}'), 'application/json')).toBe('{"message":"nope"}');
    expect(describeBody(new Uint8Array([0xff, 0xff, 0xff]), 'application/x-protobuf')).toBe(
      '3 bytes of application/x-protobuf',
    );
    expect(describeBody(new Uint8Array(0), null)).toBe('(empty body)');
  });
});

describe('describeFetchError', () => {
  it('names the cause and its code, not only "fetch failed"', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
    expect(describeFetchError(new TypeError('fetch failed', { cause: refused }))).toBe(
      'TypeError: fetch failed (ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:9)',
    );
    expect(describeFetchError(new TypeError('fetch failed', { cause: new Error('bad certificate') }))).toBe(
      'TypeError: fetch failed (bad certificate)',
    );
    expect(describeFetchError(new DOMException('The operation was aborted due to timeout', 'TimeoutError'))).toBe(
      'TimeoutError: The operation was aborted due to timeout',
    );
    expect(describeFetchError('odd')).toBe('odd');
  });
});
