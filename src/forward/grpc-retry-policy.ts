/**
 * OTLP/gRPC's retry rules, in the shape retry-policy.ts gives OTLP/HTTP's
 * (a `DeliveryVerdict`): the spec's "Failures" table for gRPC, and the
 * `google.rpc.RetryInfo` detail that plays Retry-After's part. Pure
 * functions over the status code and the `grpc-status-details-bin` bytes.
 */
import protobuf from 'protobufjs/minimal.js';
import { MAX_RETRY_AFTER_MILLIS } from './retry-policy.js';
import type { DeliveryVerdict } from './retry-policy.js';

/** The gRPC status codes, by number (grpc/doc/statuscodes.md). */
export const GRPC_CODE_NAMES: readonly string[] = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
];

const RESOURCE_EXHAUSTED = 8;

/**
 * What the OTLP spec lists as retryable for gRPC: CANCELLED, DEADLINE_EXCEEDED,
 * ABORTED, OUT_OF_RANGE, UNAVAILABLE, DATA_LOSS. RESOURCE_EXHAUSTED is
 * retryable only when the server says when (a RetryInfo detail).
 */
export const RETRYABLE_GRPC_CODES: ReadonlySet<number> = new Set([1, 4, 10, 11, 14, 15]);

/** `grpc-status-details-bin`: the trailer carrying the whole `google.rpc.Status`, details included. */
export const STATUS_DETAILS_KEY = 'grpc-status-details-bin';
export const RETRY_INFO_TYPE_URL = 'type.googleapis.com/google.rpc.RetryInfo';

/** The name of a gRPC status code (`UNAVAILABLE`), or `code 42` for one not known. */
export function grpcCodeName(code: number): string {
  return GRPC_CODE_NAMES[code] ?? `code ${code}`;
}

/**
 * A gRPC answer's verdict: OK delivered; a retryable code retried after the
 * RetryInfo delay when there is one; RESOURCE_EXHAUSTED retried only with a
 * RetryInfo; every other code dead.
 */
export function grpcVerdict(code: number, retryInfoMillis: number | null): DeliveryVerdict {
  if (code === 0) return { outcome: 'delivered' };
  if (RETRYABLE_GRPC_CODES.has(code)) return { outcome: 'retry', retryAfterMillis: retryInfoMillis };
  if (code === RESOURCE_EXHAUSTED && retryInfoMillis !== null) return { outcome: 'retry', retryAfterMillis: retryInfoMillis };
  return { outcome: 'dead' };
}

const VARINT = 0;
const LEN = 2;

/** Each field of a protobuf message as (field, wire type, reader positioned at its value). */
function forEachField(bytes: Uint8Array, visit: (field: number, wireType: number, reader: protobuf.Reader) => boolean): void {
  const reader = protobuf.Reader.create(bytes);
  while (reader.pos < reader.len) {
    const key = reader.uint32();
    if (!visit(key >>> 3, key & 7, reader)) reader.skipType(key & 7);
  }
}

/** `google.protobuf.Duration { int64 seconds = 1; int32 nanos = 2 }` in milliseconds. */
function durationMillis(bytes: Uint8Array): number {
  let seconds = 0;
  let nanos = 0;
  forEachField(bytes, (field, wireType, r) => {
    if (wireType !== VARINT || (field !== 1 && field !== 2)) return false;
    if (field === 1) seconds = Number(r.int64().toString());
    else nanos = r.int32();
    return true;
  });
  return seconds * 1000 + nanos / 1e6;
}

/**
 * The delay of the `google.rpc.RetryInfo` detail in a `google.rpc.Status`
 * (the `grpc-status-details-bin` trailer), in milliseconds, at most
 * `MAX_RETRY_AFTER_MILLIS` like Retry-After and never below 0; null when
 * there is none or the bytes do not read (an unreadable detail is treated as
 * absent, not as an error of the delivery).
 */
export function retryInfoDelayMillis(statusBytes: Uint8Array | undefined): number | null {
  if (statusBytes === undefined || statusBytes.byteLength === 0) return null;
  let delay: number | null = null;
  try {
    forEachField(statusBytes, (field, wireType, status) => {
      if (field !== 3 || wireType !== LEN) return false; // details: repeated google.protobuf.Any
      let typeUrl = '';
      let value: Uint8Array | null = null;
      forEachField(status.bytes(), (anyField, anyWire, any) => {
        if (anyWire !== LEN || (anyField !== 1 && anyField !== 2)) return false;
        if (anyField === 1) typeUrl = any.string();
        else value = any.bytes();
        return true;
      });
      if (typeUrl === RETRY_INFO_TYPE_URL && value !== null) {
        let millis = 0; // RetryInfo without retry_delay: retry, with no delay of its own
        forEachField(value, (infoField, infoWire, info) => {
          if (infoField !== 1 || infoWire !== LEN) return false;
          millis = durationMillis(info.bytes());
          return true;
        });
        delay = Math.min(MAX_RETRY_AFTER_MILLIS, Math.max(0, Number.isFinite(millis) ? millis : MAX_RETRY_AFTER_MILLIS));
      }
      return true;
    });
  } catch {
    return null;
  }
  return delay;
}
