import { describe, expect, it } from 'vitest';
import { OtlpDecodeError, decodeStatus, encodeStatus, readRpcStatus } from '../../src/otlp/index.js';
import { google } from '../oracle/otlp/generated/otlp.js';

const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString('utf8');
const bytes = (...values: number[]): Uint8Array => new Uint8Array(values);

describe('encodeStatus (google.rpc.Status)', () => {
  it('protobuf, read back with the code generated from google/rpc/status.proto', () => {
    const status = google.rpc.Status.decode(encodeStatus('protobuf', 3, 'invalid JSON: Unexpected end of JSON input'));
    expect(status.code).toBe(3);
    expect(status.message).toBe('invalid JSON: Unexpected end of JSON input');
    expect(status.details ?? []).toEqual([]);
  });

  it('JSON', () => {
    expect(JSON.parse(text(encodeStatus('json', 3, 'bad "data"')))).toEqual({ code: 3, message: 'bad "data"' });
    expect(text(encodeStatus('json', 0, ''))).toBe('{}');
  });
});

describe('decodeStatus', () => {
  it('reads back what encodeStatus writes, in both encodings', () => {
    for (const format of ['protobuf', 'json'] as const) {
      for (const [code, message] of [[3, 'bad span'], [0, ''], [14, 'überlastet: 💥'], [-1, 'negative']] as const) {
        expect([format, decodeStatus(encodeStatus(format, code, message), format)]).toEqual([format, { code, message }]);
      }
    }
  });

  it('reads a Status another implementation wrote, details and all (protobufjs, generated from the .proto)', () => {
    const written = google.rpc.Status.encode({
      code: 8,
      message: 'rate limited',
      details: [{ type_url: 'type.googleapis.com/google.rpc.RetryInfo', value: bytes(0x0a, 0x02, 0x08, 0x05) }],
    }).finish();
    expect(decodeStatus(written, 'protobuf')).toEqual({ code: 8, message: 'rate limited' });
    // An empty body is a Status with every field at its default.
    expect(decodeStatus(new Uint8Array(0), 'protobuf')).toEqual({ code: 0, message: '' });
  });

  it('skips fields unknown to it, as proto3 readers do', () => {
    // field 4 varint 1, field 5 fixed32, then code 3.
    expect(decodeStatus(bytes(0x20, 0x01, 0x2d, 1, 2, 3, 4, 0x08, 0x03), 'protobuf')).toEqual({ code: 3, message: '' });
  });

  it('refuses bytes that are not a protobuf Status', () => {
    const notStatus: Array<[string, Uint8Array]> = [
      ['truncated varint', bytes(0xff, 0xff, 0xff)],
      ['message longer than the body', bytes(0x12, 0x05, 0x61)],
      ['code sent length-delimited', bytes(0x0a, 0x01, 0x61)],
      ['message sent as a varint', bytes(0x10, 0x01)],
      ['field 0', bytes(0x00, 0x01)],
      ['a group', bytes(0x23, 0x24)],
      ['message not UTF-8', bytes(0x12, 0x02, 0xc3, 0x28)],
      ['HTML error page', new TextEncoder().encode('<html><body>502 Bad Gateway</body></html>')],
    ];
    for (const [what, body] of notStatus) {
      expect(() => decodeStatus(body, 'protobuf'), what).toThrow(OtlpDecodeError);
    }
  });

  it('reads JSON with defaults and a string code, and refuses JSON that is not a Status', () => {
    expect(decodeStatus(new TextEncoder().encode('{}'), 'json')).toEqual({ code: 0, message: '' });
    expect(decodeStatus(new TextEncoder().encode('{"code":"7","message":"no","details":[]}'), 'json')).toEqual({
      code: 7,
      message: 'no',
    });
    for (const body of ['', 'not json', '[]', 'null', '{"code":1.5}', '{"code":"x"}', '{"message":3}']) {
      expect(() => decodeStatus(new TextEncoder().encode(body), 'json'), body).toThrow(OtlpDecodeError);
    }
  });
});

describe('readRpcStatus', () => {
  it('takes the encoding from the Content-Type of the answer', () => {
    expect(readRpcStatus(encodeStatus('json', 3, 'j'), 'application/json; charset=utf-8')).toEqual({ code: 3, message: 'j' });
    expect(readRpcStatus(encodeStatus('json', 3, 'j'), 'Application/JSON')).toEqual({ code: 3, message: 'j' });
    expect(readRpcStatus(encodeStatus('protobuf', 3, 'p'), 'application/x-protobuf')).toEqual({ code: 3, message: 'p' });
    expect(readRpcStatus(encodeStatus('protobuf', 3, 'p'), null)).toEqual({ code: 3, message: 'p' });
  });
});
