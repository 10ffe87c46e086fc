import protobuf from 'protobufjs/minimal.js';
import { describe, expect, it } from 'vitest';
import { grpcCodeName, grpcVerdict, retryInfoDelayMillis } from '../../src/forward/grpc-retry-policy.js';
import { MAX_RETRY_AFTER_MILLIS } from '../../src/forward/retry-policy.js';
import { encodeStatus } from '../../src/otlp/index.js';
import { encodeUnavailableStatus } from '../../src/server/grpc/grpc-status.js';

/** A google.rpc.Status whose one detail is an Any of `typeUrl` holding `value`. */
function statusWithDetail(typeUrl: string, value: Uint8Array): Uint8Array {
  const any = protobuf.Writer.create().uint32(10).string(typeUrl).uint32(18).bytes(value).finish();
  return new Uint8Array([...encodeStatus('protobuf', 8, 'quota'), ...protobuf.Writer.create().uint32(26).bytes(any).finish()]);
}

/** RetryInfo { retry_delay: Duration { seconds, nanos } } with seconds as a full int64. */
function retryInfo(seconds: number | bigint, nanos = 0): Uint8Array {
  const duration = protobuf.Writer.create().uint32(8).int64(String(seconds)).uint32(16).int32(nanos).finish();
  return protobuf.Writer.create().uint32(10).bytes(duration).finish();
}

const RETRY_INFO = 'type.googleapis.com/google.rpc.RetryInfo';

describe('grpcVerdict: the OTLP spec for gRPC', () => {
  it('retries CANCELLED, DEADLINE_EXCEEDED, ABORTED, OUT_OF_RANGE, UNAVAILABLE and DATA_LOSS, with or without RetryInfo', () => {
    for (const code of [1, 4, 10, 11, 14, 15]) {
      expect([grpcCodeName(code), grpcVerdict(code, null)]).toEqual([grpcCodeName(code), { outcome: 'retry', retryAfterMillis: null }]);
      expect(grpcVerdict(code, 2000)).toEqual({ outcome: 'retry', retryAfterMillis: 2000 });
    }
  });

  it('retries RESOURCE_EXHAUSTED only with RetryInfo', () => {
    expect(grpcVerdict(8, null)).toEqual({ outcome: 'dead' });
    expect(grpcVerdict(8, 0)).toEqual({ outcome: 'retry', retryAfterMillis: 0 });
  });

  it('dead-letters every other code, OK is delivered', () => {
    expect(grpcVerdict(0, null)).toEqual({ outcome: 'delivered' });
    for (const code of [2, 3, 5, 6, 7, 9, 12, 13, 16, 99]) expect([code, grpcVerdict(code, 1000)]).toEqual([code, { outcome: 'dead' }]);
    expect(grpcCodeName(99)).toBe('code 99');
  });
});

describe('retryInfoDelayMillis', () => {
  it("reads the delay Skein's own server sends", () => {
    expect(retryInfoDelayMillis(encodeUnavailableStatus('busy', 2.5))).toBe(2500);
  });

  it('reads seconds and nanos, finds RetryInfo among other details, and caps the delay like Retry-After', () => {
    const other = statusWithDetail('type.googleapis.com/google.rpc.DebugInfo', new Uint8Array([10, 1, 120]));
    const info = statusWithDetail(RETRY_INFO, retryInfo(3, 250_000_000));
    expect(retryInfoDelayMillis(new Uint8Array([...other, ...info.subarray(encodeStatus('protobuf', 8, 'quota').byteLength)]))).toBe(3250);
    expect(retryInfoDelayMillis(statusWithDetail(RETRY_INFO, retryInfo(99_999_999_999n)))).toBe(MAX_RETRY_AFTER_MILLIS);
    expect(retryInfoDelayMillis(statusWithDetail(RETRY_INFO, retryInfo(-5)))).toBe(0);
    expect(retryInfoDelayMillis(statusWithDetail(RETRY_INFO, new Uint8Array()))).toBe(0);
  });

  it('is null without a RetryInfo, without details, and for bytes that are not a Status', () => {
    expect(retryInfoDelayMillis(undefined)).toBeNull();
    expect(retryInfoDelayMillis(encodeStatus('protobuf', 8, 'quota'))).toBeNull();
    expect(retryInfoDelayMillis(statusWithDetail('type.googleapis.com/google.rpc.DebugInfo', retryInfo(3)))).toBeNull();
    expect(retryInfoDelayMillis(new Uint8Array([26, 200]))).toBeNull(); // a detail longer than the bytes
  });
});
