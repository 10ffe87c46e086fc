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
