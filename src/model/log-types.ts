/**
 * An OTLP log record as it arrived (issue 16), before any dialect is read:
 * the logs counterpart of `RawSpan` in types.ts. Plain data, no behaviour.
 */
import type { AttributeValue, Attributes, InstrumentationScope, SpanResource } from './types.js';

/** OTLP `SeverityNumber`: 0 unspecified, 1-4 trace, 5-8 debug, 9-12 info, 13-16 warn, 17-20 error, 21-24 fatal. */
export type SeverityNumber = number;

export interface RawLogRecord {
  /** When the event happened; 0n means unknown. Exact nanoseconds, like spans' times. */
  timeUnixNano: bigint;
  /** When the collection system saw it; 0n means unknown. */
  observedTimeUnixNano: bigint;
  severityNumber: SeverityNumber;
  /** The level as the source spelled it ("INFO", "warning"); '' when absent. */
  severityText: string;
  /** Any AnyValue: a string, number, bigint, boolean, bytes, array, kvlist object, or null when absent. */
  body: AttributeValue;
  attributes: Attributes;
  droppedAttributesCount: number;
  /** OTLP `LogRecordFlags` (W3C trace flags in the low byte). */
  flags: number;
  /** Lowercase hex; null when absent or invalid (wrong length, all zeroes), as logs.proto says to read it. */
  traceId: string | null;
  spanId: string | null;
  /** '' when the record is not an event. */
  eventName: string;
  resource: SpanResource;
  scope: InstrumentationScope;
}

/**
 * A log record as the store gives it back: what arrived (after redaction),
 * plus the store's row id and the session it was resolved to.
 */
export interface StoredLogRecord extends RawLogRecord {
  /** The store's id: increasing in commit order (a cursor and the live stream merge by it). */
  id: number;
  /**
   * The session: the record's own key (same precedence as spans', `session.id`
   * included, attribute or resource), else the session of its trace when the
   * trace is known, else null (a record tied to no session).
   */
  sessionId: string | null;
}

/** `listLogs`: every field narrows; results are in time order (time, or observed time when time is 0), then id. */
export interface LogQuery {
  sessionId?: string;
  traceId?: string;
  spanId?: string;
  /** Exact `event_name` (or, for records without one, nothing matches). */
  eventName?: string;
  /** `severityNumber >= minSeverity`. */
  minSeverity?: number;
  /** Inclusive, exact nanoseconds. */
  fromUnixNano?: bigint;
  /** Exclusive. */
  toUnixNano?: bigint;
  /** Default 100, at most 1000. */
  limit?: number;
  cursor?: string;
}
