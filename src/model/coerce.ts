/**
 * Turning attribute values of the wrong type into what a dialect promised,
 * or into nothing. Every non-trivial conversion and every rejection is
 * counted, never thrown.
 */

import type { NormalizeCounts, StatusCodeNumber } from './types.js';

/** Longest numeric string worth parsing; anything longer is not a token count or a price. */
const MAX_NUMERIC_STRING = 32;

function numberFromString(value: string): number | undefined {
  if (value.length === 0 || value.length > MAX_NUMERIC_STRING) return undefined;
  const trimmed = value.trim();
  if (trimmed.length === 0) return undefined;
  // Number() accepts '0x10', '1e3', 'Infinity': only plain decimals are unambiguous.
  const first = trimmed.charCodeAt(0);
  const startsLikeDecimal = (first >= 48 && first <= 57) || first === 46 || first === 45 || first === 43;
  if (!startsLikeDecimal || (trimmed.length > 1 && (trimmed[1] === 'x' || trimmed[1] === 'X'))) return undefined;
  const parsed = Number(trimmed);
  return Number.isFinite(parsed) ? parsed : undefined;
}

/**
 * Most tokens one span may report (2^32-1, hundreds of times any context
 * window): sessions sum them in signed 64-bit columns, and 2^31 spans at this
 * bound still fit, where a few hundred at 2^53 overflowed and failed every
 * later commit of the session.
 */
export const MAX_TOKEN_COUNT = 0xffffffff;

/** Most USD one span may report: sessions sum them, and a near-largest double would make the sum Infinity. */
export const MAX_USD = 1e9;

/**
 * A token count: a non-negative integer up to `MAX_TOKEN_COUNT`. Numbers that
 * are integers pass as they are; integer strings and bigints are coerced;
 * everything else (fractions, negatives, too large, NaN, junk) is dropped.
 * `null`/`undefined` are "not reported" and not counted.
 */
export function toTokenCount(value: unknown, counts: NormalizeCounts): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value) && value >= 0 && value <= MAX_TOKEN_COUNT) return value;
    counts.dropped++;
    return undefined;
  }
  let parsed: number | undefined;
  if (typeof value === 'string') parsed = numberFromString(value);
  else if (typeof value === 'bigint') {
    parsed = value >= 0n && value <= BigInt(MAX_TOKEN_COUNT) ? Number(value) : undefined;
  }
  if (parsed !== undefined && Number.isSafeInteger(parsed) && parsed >= 0 && parsed <= MAX_TOKEN_COUNT) {
    counts.coerced++;
    return parsed;
  }
  counts.dropped++;
  return undefined;
}

/** A USD amount: a finite number from 0 to `MAX_USD`; decimal strings are coerced. */
export function toUsd(value: unknown, counts: NormalizeCounts): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value >= 0 && value <= MAX_USD) return value;
    counts.dropped++;
    return undefined;
  }
  const parsed = typeof value === 'string' ? numberFromString(value) : undefined;
  if (parsed !== undefined && parsed >= 0 && parsed <= MAX_USD) {
    counts.coerced++;
    return parsed;
  }
  counts.dropped++;
  return undefined;
}

/**
 * An identifier or name. Strings pass (empty means absent); finite numbers
 * and bigints become their decimal text (counted as coerced); anything else
 * is dropped.
 */
export function toName(value: unknown, counts: NormalizeCounts): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value.length > 0 ? value : undefined;
  if ((typeof value === 'number' && Number.isFinite(value)) || typeof value === 'bigint') {
    counts.coerced++;
    return String(value);
  }
  counts.dropped++;
  return undefined;
}

/** OTLP status code 0, 1 or 2; anything else is dropped to 0 (unset). */
export function toStatusCode(value: unknown, counts: NormalizeCounts): StatusCodeNumber {
  if (value === 0 || value === 1 || value === 2) return value;
  counts.dropped++;
  return 0;
}

/** Nanosecond timestamps are bigints; integer numbers and digit strings are coerced, anything else dropped. */
export function toNanos(value: unknown, counts: NormalizeCounts): bigint | undefined {
  if (typeof value === 'bigint') {
    if (value >= 0n) return value;
  } else if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) {
    counts.coerced++;
    return BigInt(value);
  } else if (typeof value === 'string' && value.length > 0 && value.length <= 20 && /^\d+$/.test(value)) {
    counts.coerced++;
    return BigInt(value);
  }
  counts.dropped++;
  return undefined;
}
