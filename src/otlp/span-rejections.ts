/**
 * Per-span rejection: OTLP lets a receiver keep the good spans of a request and
 * report the rest in `partial_success` (rejected count plus an English message).
 * A span is rejected when it cannot be represented faithfully: ids of the wrong
 * length or all zeroes (trace.proto calls both invalid), a link with such ids,
 * or a kind / status code outside the enums Skein stores.
 */

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

export function isSpanKind(kind: number): kind is 0 | 1 | 2 | 3 | 4 | 5 {
  return Number.isInteger(kind) && kind >= 0 && kind <= 5;
}

export function isStatusCode(code: number): code is 0 | 1 | 2 {
  return Number.isInteger(code) && code >= 0 && code <= 2;
}
