/** The record of last resort, for spans whose values defeat normalization itself. */

import type { RawSpan, SpanRecord } from './types.js';

/** The record of a span whose values defeated normalization: identity and raw kept, nothing interpreted. */
export function fallbackRecord(raw: RawSpan): SpanRecord {
  const counts = { coerced: 0, dropped: 1, truncated: 0, redacted: 0 };
  const safe = (read: () => unknown): unknown => {
    try {
      return read();
    } catch {
      return undefined;
    }
  };
  const text = (read: () => unknown): string => {
    const value = safe(read);
    return typeof value === 'string' ? value : '';
  };
  const start = safe(() => raw.startTimeUnixNano);
  const end = safe(() => raw.endTimeUnixNano);
  const parent = text(() => raw.parentSpanId);
  return {
    traceId: text(() => raw.traceId),
    spanId: text(() => raw.spanId),
    parentSpanId: parent.length > 0 ? parent : null,
    sessionId: null,
    name: text(() => raw.name),
    stepType: 'other',
    operationName: null,
    startTimeUnixNano: typeof start === 'bigint' ? start : 0n,
    endTimeUnixNano: typeof end === 'bigint' ? end : null,
    statusCode: 0,
    statusMessage: '',
    isError: false,
    provider: null,
    requestModel: null,
    responseModel: null,
    agentName: null,
    agentId: null,
    userId: null,
    toolName: null,
    toolCallId: null,
    usage: {},
    cost: null,
    unpriced: false,
    input: null,
    output: null,
    reasoning: null,
    counts,
    raw,
  };
}
