/**
 * `google.rpc.Status`, the body of every OTLP/HTTP 4xx and 5xx answer, in
 * both OTLP encodings. One codec: the receiver writes it, the forwarder reads
 * an upstream's refusal with it, and the tests read Skein's answers with it.
 *
 * Fields (google/rpc/status.proto): 1 `code` (int32), 2 `message` (string),
 * 3 `details` (repeated Any: skipped when read, never written). Proto3
 * defaults are omitted when written.
 */
import protobuf from 'protobufjs/minimal.js';
import { OtlpDecodeError } from './otlp-decode-error.js';
import type { OtlpFormat } from './otlp-decode-error.js';

export interface RpcStatus {
  /** A `google.rpc.Code`; 0 when absent (the OTLP spec lets a server omit it). */
  code: number;
  message: string;
}

/** The `google.rpc.Code` values Skein's answers carry. */
export const RPC_CODE = {
  invalidArgument: 3,
  permissionDenied: 7,
  resourceExhausted: 8,
  unimplemented: 12,
  internal: 13,
  unavailable: 14,
} as const;

const VARINT = 0;
const LEN = 2;
/** varint, fixed64, length-delimited, fixed32: groups (3, 4) and 6, 7 are not proto3. */
const SKIPPABLE_WIRE_TYPES = new Set([0, 1, 2, 5]);

export function encodeStatus(format: OtlpFormat, code: number, message: string): Uint8Array {
  if (format === 'json') {
    const status: Partial<RpcStatus> = {};
    if (code !== 0) status.code = code;
    if (message !== '') status.message = message;
    return new TextEncoder().encode(JSON.stringify(status));
  }
  const w = protobuf.Writer.create();
  if (code !== 0) w.uint32((1 << 3) | VARINT).int32(code);
  if (message !== '') w.uint32((2 << 3) | LEN).string(message);
  return w.finish();
}

/**
 * Reads a `google.rpc.Status`. Throws `OtlpDecodeError` when the bytes are
 * not one: truncated or malformed protobuf, a known field of the wrong wire
 * type, a message that is not UTF-8, JSON that is not an object with a
 * numeric `code` and a string `message`.
 */
export function decodeStatus(body: Uint8Array, format: OtlpFormat): RpcStatus {
  return format === 'json' ? decodeJsonStatus(body) : decodeProtobufStatus(body);
}

/**
 * Reads the `google.rpc.Status` of an OTLP/HTTP answer by its Content-Type:
 * JSON for `application/json`, protobuf otherwise. Throws like `decodeStatus`.
 */
export function readRpcStatus(body: Uint8Array, contentType: string | null): RpcStatus {
  const mediaType = (contentType ?? '').split(';', 1)[0].trim().toLowerCase();
  return decodeStatus(body, mediaType === 'application/json' ? 'json' : 'protobuf');
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeProtobufStatus(body: Uint8Array): RpcStatus {
  const r = protobuf.Reader.create(body);
  const status: RpcStatus = { code: 0, message: '' };
  try {
    while (r.pos < r.len) {
      const key = r.uint32();
      const field = key >>> 3;
      const wireType = key & 7;
      if (field === 1 && wireType === VARINT) status.code = r.int32();
      else if (field === 2 && wireType === LEN) status.message = utf8.decode(r.bytes());
      else if (field === 3 && wireType === LEN) r.skipType(LEN); // details
      else if (field <= 3 || !SKIPPABLE_WIRE_TYPES.has(wireType)) throw new Error(`field ${field} with wire type ${wireType}`);
      else r.skipType(wireType); // a field added to Status since
    }
  } catch (error) {
    throw new OtlpDecodeError(`not a protobuf google.rpc.Status (${error instanceof Error ? error.message : String(error)})`);
  }
  return status;
}

function decodeJsonStatus(body: Uint8Array): RpcStatus {
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(body));
  } catch (error) {
    throw new OtlpDecodeError(`not a JSON google.rpc.Status (${error instanceof Error ? error.message : String(error)})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new OtlpDecodeError('not a JSON google.rpc.Status: not an object');
  }
  const { code = 0, message = '' } = value as { code?: unknown; message?: unknown };
  // Proto3 JSON may write an int32 as a decimal string.
  const number = typeof code === 'string' && /^-?\d+$/.test(code) ? Number(code) : code;
  if (typeof number !== 'number' || !Number.isInteger(number)) {
    throw new OtlpDecodeError(`not a JSON google.rpc.Status: code ${JSON.stringify(code)} is not an integer`);
  }
  if (typeof message !== 'string') {
    throw new OtlpDecodeError(`not a JSON google.rpc.Status: message ${JSON.stringify(message)} is not a string`);
  }
  return { code: number, message };
}
