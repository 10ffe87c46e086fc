/**
 * Typed readers for OTLP/JSON field values, per the proto3 JSON mapping with
 * the OTLP deviations (docs/specification.md, "JSON Protobuf Encoding"):
 * - `null` means "field not set", for every field type.
 * - 64-bit integers may be JSON numbers or decimal strings; 32-bit ones too.
 * - Enums MUST be integers: the spec says enum name strings MUST NOT be used,
 *   so a name is bad data (400), with a message naming the integer to send.
 * - Trace and span ids are case-insensitive hex, not base64.
 * - `bytes` elsewhere (AnyValue.bytesValue) stay base64, standard or URL-safe.
 * Every failure throws OtlpDecodeError with the field path.
 */
import { OtlpDecodeError } from './otlp-decode-error.js';

export type JsonObject = Record<string, unknown>;

const MAX_UINT32 = 0xffffffff;
const MAX_UINT64 = (1n << 64n) - 1n;
const MIN_INT64 = -(1n << 63n);
const MAX_INT64 = (1n << 63n) - 1n;
const UNSIGNED_DIGITS = /^\d+$/;
const SIGNED_DIGITS = /^-?\d+$/;
const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const HEX_DIGITS = /^[0-9a-fA-F]*$/;
const BASE64 = /^(?:[A-Za-z0-9+/]*|[A-Za-z0-9_-]*)={0,2}$/;
const ENUM_NAME = /^[A-Z][A-Z0-9_]*$/;

export function describeJson(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

function wrongType(path: string, expected: string, value: unknown): OtlpDecodeError {
  return new OtlpDecodeError(`${path}: expected ${expected}, got ${describeJson(value)}`);
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A message field: null or absent → null. */
export function readObject(value: unknown, path: string): JsonObject | null {
  if (value === undefined || value === null) return null;
  if (!isJsonObject(value)) throw wrongType(path, 'an object', value);
  return value;
}

/** A repeated field: null or absent → empty. */
export function readArray(value: unknown, path: string): readonly unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw wrongType(path, 'an array', value);
  return value;
}

export function readString(value: unknown, path: string): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw wrongType(path, 'a string', value);
  return value;
}

export function readBool(value: unknown, path: string): boolean {
  if (typeof value !== 'boolean') throw wrongType(path, 'true or false', value);
  return value;
}

export function readUint32(value: unknown, path: string): number {
  if (value === undefined || value === null) return 0;
  const n = typeof value === 'string' && UNSIGNED_DIGITS.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > MAX_UINT32) {
    throw wrongType(path, 'an unsigned 32-bit integer', value);
  }
  return n;
}

/**
 * A span's uint32 (a dropped count, flags) as any integer that arrived, a
 * bigint when unsafe: a value out of range rejects that span alone
 * (span-rejections.ts), as protobuf's varint does. Not an integer: 400.
 */
export function readUint32Wide(value: unknown, path: string): number | bigint {
  if (value === undefined || value === null) return 0;
  return readInteger(value, path, 'an unsigned 32-bit integer');
}

function readInteger(value: unknown, path: string, expected: string): number | bigint {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string' && SIGNED_DIGITS.test(value)) {
    const n = BigInt(value);
    return n >= MIN_SAFE && n <= MAX_SAFE ? Number(n) : n;
  }
  throw wrongType(path, expected, value);
}

/** fixed64 nanosecond timestamps, exactly. */
export function readUint64(value: unknown, path: string): bigint {
  if (value === undefined || value === null) return 0n;
  let n: bigint | null = null;
  if (typeof value === 'string' && UNSIGNED_DIGITS.test(value)) n = BigInt(value);
  else if (typeof value === 'number' && Number.isInteger(value) && value >= 0) n = BigInt(value);
  if (n === null || n > MAX_UINT64) throw wrongType(path, 'an unsigned 64-bit integer (number or decimal string)', value);
  return n;
}

/** int64 AnyValue.intValue: a number when it is a safe integer, else a bigint. */
export function readInt64(value: unknown, path: string): number | bigint {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
  let n: bigint | null = null;
  if (typeof value === 'string' && SIGNED_DIGITS.test(value)) n = BigInt(value);
  else if (typeof value === 'number' && Number.isInteger(value)) n = BigInt(value);
  if (n === null || n < MIN_INT64 || n > MAX_INT64) {
    throw wrongType(path, 'a signed 64-bit integer (number or decimal string)', value);
  }
  return Number.isSafeInteger(Number(n)) ? Number(n) : n;
}

export function readDouble(value: unknown, path: string): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') {
    if (value === 'NaN') return NaN;
    if (value === 'Infinity') return Infinity;
    if (value === '-Infinity') return -Infinity;
    const n = value.trim() === '' ? NaN : Number(value);
    if (!Number.isNaN(n)) return n;
  }
  throw wrongType(path, 'a number', value);
}

/**
 * An enum field: integers only, as a number or (a long literal quoted by
 * json-big-integers.ts) its decimal string; a bigint when unsafe. The range
 * is checked per span. `names` maps enum names to their numbers for the error message.
 */
export function readEnum(value: unknown, path: string, names: Readonly<Record<string, number>>): number | bigint {
  if (value === undefined || value === null) return 0;
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string' && SIGNED_DIGITS.test(value)) return readInteger(value, path, 'an integer enum value');
  if (typeof value === 'string' && ENUM_NAME.test(value)) {
    const number = names[value];
    const hint = number === undefined ? '' : ` (${value} = ${number})`;
    throw new OtlpDecodeError(
      `${path}: enum name ${JSON.stringify(value)} is not allowed; OTLP/JSON encodes enums as integers${hint}`,
    );
  }
  throw wrongType(path, 'an integer enum value', value);
}

/** A trace or span id: lowercase hex of whatever length arrived (length is checked per span, not here). */
export function readHexId(value: unknown, path: string): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw wrongType(path, 'a hex string', value);
  if (!HEX_DIGITS.test(value)) {
    throw new OtlpDecodeError(
      `${path}: ${JSON.stringify(value)} is not hex; OTLP/JSON encodes trace and span ids as hex, not base64`,
    );
  }
  if (value.length % 2 !== 0) throw new OtlpDecodeError(`${path}: ${JSON.stringify(value)} has an odd number of hex digits`);
  return value.toLowerCase();
}

export function readBase64(value: unknown, path: string): Uint8Array {
  if (typeof value !== 'string' || !BASE64.test(value) || value.replace(/=+$/, '').length % 4 === 1) {
    throw wrongType(path, 'base64 bytes', value);
  }
  return new Uint8Array(Buffer.from(value, 'base64'));
}

/**
 * An enum of the logs and metrics signals: an integer as `readEnum` reads it,
 * or its name. The spec forbids names, but real senders use them and the
 * meaning is unambiguous (issue 16); an unknown name is still bad data.
 */
export function readEnumOrName(value: unknown, path: string, names: Readonly<Record<string, number>>): number | bigint {
  if (typeof value === 'string' && ENUM_NAME.test(value)) {
    const number = names[value];
    if (number === undefined) throw new OtlpDecodeError(`${path}: ${JSON.stringify(value)} is not a known enum name`);
    return number;
  }
  return readEnum(value, path, names);
}
