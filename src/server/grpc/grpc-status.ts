/**
 * How an Export handler's failure becomes a gRPC status, as the OTLP spec
 * says for gRPC: malformed data `INVALID_ARGUMENT` (not retryable), a
 * request over the in-flight byte budget `RESOURCE_EXHAUSTED`, an
 * overloaded server `UNAVAILABLE` with a `google.rpc.RetryInfo` detail in
 * `grpc-status-details-bin` (retryable, after that delay), anything else
 * `INTERNAL` with a fixed message (the error itself goes to the log, never
 * to the client).
 */
import { Metadata, status as GrpcCode } from '@grpc/grpc-js';
import type { ServerErrorResponse } from '@grpc/grpc-js';
import protobuf from 'protobufjs/minimal.js';
import { SpansRefusedError } from '../../ingest/trace-ingest.js';
import { InflightBytesTooLargeError } from '../inflight-bytes.js';
import { OtlpDecodeError, encodeStatus } from '../../otlp/index.js';

export const STATUS_DETAILS_KEY = 'grpc-status-details-bin';
export const RETRY_INFO_TYPE_URL = 'type.googleapis.com/google.rpc.RetryInfo';

const LEN = 2;
const VARINT = 0;

/** A gRPC error answer: the code, its message, and trailers when it carries details. */
export function grpcError(code: GrpcCode, details: string, metadata?: Metadata): ServerErrorResponse {
  const error: ServerErrorResponse = Object.assign(new Error(details), { code, details });
  if (metadata !== undefined) error.metadata = metadata;
  return error;
}

/**
 * `google.rpc.RetryInfo { google.protobuf.Duration retry_delay = 1 }`, the
 * Duration being `{ int64 seconds = 1; int32 nanos = 2 }`.
 */
export function encodeRetryInfo(retryAfterSeconds: number): Uint8Array {
  const seconds = Math.floor(retryAfterSeconds);
  const nanos = Math.round((retryAfterSeconds - seconds) * 1e9);
  const duration = protobuf.Writer.create();
  if (seconds !== 0) duration.uint32((1 << 3) | VARINT).int64(seconds);
  if (nanos !== 0) duration.uint32((2 << 3) | VARINT).int32(nanos);
  return protobuf.Writer.create().uint32((1 << 3) | LEN).bytes(duration.finish()).finish();
}

/**
 * The `google.rpc.Status` of an `UNAVAILABLE` answer with one `RetryInfo`
 * detail. Code and message are written by the one Status codec
 * (src/otlp/rpc-status.ts); the detail, field 3 (`repeated Any`), is appended
 * after them: protobuf fields may come in any order.
 */
export function encodeUnavailableStatus(message: string, retryAfterSeconds: number): Uint8Array {
  const any = protobuf.Writer.create()
    .uint32((1 << 3) | LEN)
    .string(RETRY_INFO_TYPE_URL)
    .uint32((2 << 3) | LEN)
    .bytes(encodeRetryInfo(retryAfterSeconds))
    .finish();
  const head = encodeStatus('protobuf', GrpcCode.UNAVAILABLE, message);
  const detail = protobuf.Writer.create().uint32((3 << 3) | LEN).bytes(any).finish();
  const out = new Uint8Array(head.byteLength + detail.byteLength);
  out.set(head, 0);
  out.set(detail, head.byteLength);
  return out;
}

function retryAfterOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { retryAfterSeconds } = error as { retryAfterSeconds?: unknown };
  return typeof retryAfterSeconds === 'number' && Number.isFinite(retryAfterSeconds) && retryAfterSeconds >= 0
    ? retryAfterSeconds
    : undefined;
}

/**
 * The status a handler's error is answered with: malformed data and records
 * the store refuses for good `INVALID_ARGUMENT`, a request larger than the
 * in-flight budget `RESOURCE_EXHAUSTED`, anything telling the client when to
 * retry (`retryAfterSeconds`) `UNAVAILABLE`, the rest `INTERNAL`.
 */
export function exportErrorCode(error: unknown): GrpcCode {
  if (error instanceof OtlpDecodeError || error instanceof SpansRefusedError) return GrpcCode.INVALID_ARGUMENT;
  if (error instanceof InflightBytesTooLargeError) return GrpcCode.RESOURCE_EXHAUSTED;
  if (retryAfterOf(error) !== undefined) return GrpcCode.UNAVAILABLE;
  return GrpcCode.INTERNAL;
}

/**
 * The answer to a handler's error. `onInternal` sees the errors that become
 * `INTERNAL` (to log them); the client only learns that the server failed.
 */
export function exportErrorToGrpc(error: unknown, onInternal: (error: unknown) => void): ServerErrorResponse {
  const code = exportErrorCode(error);
  if (code === GrpcCode.INVALID_ARGUMENT || code === GrpcCode.RESOURCE_EXHAUSTED) return grpcError(code, (error as Error).message);
  const retryAfterSeconds = retryAfterOf(error);
  if (retryAfterSeconds !== undefined) {
    const message = error instanceof Error ? error.message : 'server overloaded';
    const metadata = new Metadata();
    metadata.set(STATUS_DETAILS_KEY, Buffer.from(encodeUnavailableStatus(message, retryAfterSeconds)));
    return grpcError(GrpcCode.UNAVAILABLE, message, metadata);
  }
  onInternal(error);
  return grpcError(GrpcCode.INTERNAL, 'internal error while handling the export (see the collector log)');
}
