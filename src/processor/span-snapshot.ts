import type { Attributes as OtelAttributes, HrTime } from '@opentelemetry/api';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace-base';
import type { Attributes, InstrumentationScope, RawSpan, SpanKindNumber, SpanLink, SpanResource, StatusCodeNumber } from '../model/types.js';
import {
  convertAttributes,
  convertEvent,
  convertLink,
  convertResource,
  convertScope,
  hrTimeToUnixNano,
  spanFlags,
} from './readable-span-to-raw.js';

/**
 * A span as the app thread hands it to the writer thread: the SDK's own
 * values, copied by reference, in a flat tuple. Everything that costs
 * (BigInt nanoseconds, attribute copies, normalization, redaction) happens
 * on the other side of `postMessage`, whose structured clone is the copy
 * (PERFORMANCE.md: the app thread may pay ~1.5x the bare SDK, and a full
 * `readableSpanToRaw` alone costs more than that).
 *
 * Ended SDK spans no longer change, so referencing their attributes until the
 * batch is posted is safe (the SDK's BatchSpanProcessor does the same);
 * an open span is snapshot when its batch is taken, as it is then.
 */
export type SpanSnapshot = [
  traceId: string,
  spanId: string,
  parentSpanId: string | null,
  traceState: string,
  flags: number,
  name: string,
  /** The API's SpanKind (INTERNAL = 0). */
  kind: number,
  startTime: HrTime,
  /** null while open. */
  endTime: HrTime | null,
  attributes: OtelAttributes,
  droppedAttributesCount: number,
  events: TimedEvent[] | null,
  droppedEventsCount: number,
  links: SpanLink[] | null,
  droppedLinksCount: number,
  statusCode: number,
  statusMessage: string,
  resource: SpanResource,
  scope: InstrumentationScope,
];

export function snapshotSpan(span: ReadableSpan, ended: boolean): SpanSnapshot {
  const ctx = span.spanContext();
  const parent = span.parentSpanContext;
  return [
    ctx.traceId,
    ctx.spanId,
    parent?.spanId || null,
    ctx.traceState === undefined ? '' : ctx.traceState.serialize(),
    spanFlags(ctx.traceFlags, parent?.isRemote),
    span.name,
    span.kind,
    span.startTime,
    ended ? span.endTime : null,
    span.attributes,
    span.droppedAttributesCount,
    span.events.length === 0 ? null : span.events,
    span.droppedEventsCount,
    // Links hold SDK objects (TraceState) that would not survive the clone.
    span.links.length === 0 ? null : span.links.map(convertLink),
    span.droppedLinksCount,
    span.status.code,
    span.status.message ?? '',
    convertResource(span.resource),
    convertScope(span.instrumentationScope),
  ];
}

export function snapshotToRaw(s: SpanSnapshot): RawSpan {
  const endTime = s[8];
  const events = s[11];
  return {
    traceId: s[0],
    spanId: s[1],
    parentSpanId: s[2],
    traceState: s[3],
    flags: s[4],
    name: s[5],
    // The API's SpanKind starts at INTERNAL = 0; OTLP reserves 0 for "unspecified".
    kind: (s[6] + 1) as SpanKindNumber,
    startTimeUnixNano: hrTimeToUnixNano(s[7]),
    endTimeUnixNano: endTime === null ? null : hrTimeToUnixNano(endTime),
    attributes: convertAttributes(s[9]),
    droppedAttributesCount: s[10],
    events: events === null ? [] : events.map(convertEvent),
    droppedEventsCount: s[12],
    links: s[13] ?? [],
    droppedLinksCount: s[14],
    statusCode: s[15] as StatusCodeNumber,
    statusMessage: s[16],
    resource: s[17],
    scope: s[18],
  };
}

/**
 * A copy that structured clone accepts: attribute values an app forced in
 * past the API's types (functions, symbols, class instances) become strings,
 * as an OTLP exporter would send them.
 */
export function cloneableSnapshot(s: SpanSnapshot): SpanSnapshot {
  const copy = [...s] as SpanSnapshot;
  copy[9] = plainAttributes(s[9]);
  copy[11] = s[11] === null ? null : s[11].map((e) => ({ ...e, attributes: e.attributes && plainAttributes(e.attributes) }));
  copy[13] = s[13] === null ? null : s[13].map((l) => ({ ...l, attributes: plainAttributes(l.attributes as OtelAttributes) as Attributes }));
  copy[17] = { ...s[17], attributes: plainAttributes(s[17].attributes as OtelAttributes) as Attributes };
  copy[18] = { ...s[18], attributes: plainAttributes(s[18].attributes as OtelAttributes) as Attributes };
  return copy;
}

function plainAttributes(attributes: OtelAttributes): OtelAttributes {
  const out: OtelAttributes = {};
  for (const key in attributes) out[key] = plainValue(attributes[key]) as OtelAttributes[string];
  return out;
}

function plainValue(value: unknown): unknown {
  if (value === null || value === undefined) return value;
  const type = typeof value;
  if (type === 'string' || type === 'number' || type === 'boolean' || type === 'bigint') return value;
  if (value instanceof Uint8Array) return value;
  if (Array.isArray(value)) return value.map(plainValue);
  if (Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const key in value as Record<string, unknown>) out[key] = plainValue((value as Record<string, unknown>)[key]);
    return out;
  }
  return String(value);
}
