/**
 * Per-span rejection: OTLP lets a receiver keep the good spans of a request and
 * report the rest in `partial_success` (rejected count plus an English message).
 * A span is rejected when it cannot be represented faithfully: ids of the wrong
 * length or all zeroes (trace.proto calls both invalid), a link with such ids,
 * a kind / status code outside the enums Skein stores, a time past what the
 * store holds (signed 64-bit nanoseconds), a count or flags beyond 32 bits,
 * or a session id longer than `MAX_SESSION_ID_LENGTH`. Each check names the
 * field and the value, so the sender can find it.
 */
import { SESSION_KEYS } from '../model/dialect-slots.js';
import type { AttributeValue } from '../model/types.js';

/** How many individual reasons the summary names before it only counts. */
const MAX_REASONS_LISTED = 5;

export class SpanRejections {
  count = 0;
  private readonly reasons: string[] = [];

  reject(path: string, reason: string): void {
    this.count++;
    if (this.reasons.length < MAX_REASONS_LISTED) this.reasons.push(`${path}: ${reason}`);
  }

  message(): string | null {
    if (this.count === 0) return null;
    const more = this.count - this.reasons.length;
    const head = `${this.count} span${this.count === 1 ? '' : 's'} rejected: ${this.reasons.join('; ')}`;
    return more > 0 ? `${head}; and ${more} more` : head;
  }
}

export function spanPath(resourceIndex: number, scopeIndex: number, spanIndex: number): string {
  return `resourceSpans[${resourceIndex}].scopeSpans[${scopeIndex}].spans[${spanIndex}]`;
}

/** Deepest AnyValue nesting (arrays and kvlists inside values) accepted; deeper is a malformed request, not a stack overflow. */
export const MAX_ANY_VALUE_DEPTH = 64;

/** The store keeps times as signed 64-bit nanoseconds: 2^63-1 is 2262-04-11T23:47:16.854775807Z. */
export const MAX_STORED_NANOS = (1n << 63n) - 1n;
const MAX_UINT32 = 0xffffffff;

/**
 * Session ids are keys: never cut (two long ids would merge, and the original
 * id would find nothing), so longer ones are refused. UTF-16 code units.
 */
export const MAX_SESSION_ID_LENGTH = 4096;

export function spanKindProblem(kind: number | bigint): string | null {
  return typeof kind === 'number' && Number.isInteger(kind) && kind >= 0 && kind <= 5
    ? null
    : `kind ${kind} is not a SpanKind (0-5)`;
}

export function statusCodeProblem(code: number | bigint): string | null {
  return typeof code === 'number' && Number.isInteger(code) && code >= 0 && code <= 2
    ? null
    : `status code ${code} is not a StatusCode (0-2)`;
}

/** `field` is the path inside the span (`endTimeUnixNano`, `events[2].timeUnixNano`). */
export function timeProblem(field: string, nanos: bigint): string | null {
  return nanos <= MAX_STORED_NANOS ? null : `${field} ${nanos} is past the largest time Skein stores (2^63-1 ns)`;
}

/** Dropped counts and flags are uint32 in trace.proto; a wider value is not silently cut to 32 bits. */
export function uint32Problem(field: string, value: number | bigint): string | null {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_UINT32
    ? null
    : `${field} ${value} is not an unsigned 32-bit integer`;
}

/** The attribute keys a session id is read from (normalize's session slots). */
const SESSION_ID_KEYS: readonly string[] = SESSION_KEYS;

/** A session id attribute too long to be kept as a key, or null. */
export function sessionIdProblem(attributes: Readonly<Record<string, AttributeValue>>): string | null {
  for (const key of SESSION_ID_KEYS) {
    if (!Object.prototype.hasOwnProperty.call(attributes, key)) continue;
    const value = attributes[key];
    if (typeof value === 'string' && value.length > MAX_SESSION_ID_LENGTH) {
      return `attributes[${JSON.stringify(key)}] is ${value.length} characters long; a session id may have at most ${MAX_SESSION_ID_LENGTH}`;
    }
  }
  return null;
}
