import type { Attributes as OtelAttributes, HrTime, Link } from '@opentelemetry/api';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace-base';
import type {
  AttributeValue,
  Attributes,
  InstrumentationScope,
  RawSpan,
  SpanEvent,
  SpanKindNumber,
  SpanLink,
  SpanResource,
  StatusCodeNumber,
} from '../model/types.js';

// OTLP SpanFlags bits 8 and 9: "is-remote is known" and "parent is remote".
const FLAG_HAS_IS_REMOTE = 0x100;
const FLAG_IS_REMOTE = 0x200;

/** Exact nanoseconds: a float multiplication would lose the low digits past 2^53. */
export function hrTimeToUnixNano(time: HrTime): bigint {
  return BigInt(time[0]) * 1_000_000_000n + BigInt(time[1]);
}

export function spanFlags(traceFlags: number, isRemote: boolean | undefined): number {
  return (traceFlags & 0xff) | FLAG_HAS_IS_REMOTE | (isRemote ? FLAG_IS_REMOTE : 0);
}

export function convertAttributes(attributes: OtelAttributes | undefined): Attributes {
  const out: Attributes = {};
  if (attributes === undefined) return out;
  for (const key in attributes) {
    const value = attributes[key];
    if (value === undefined) continue;
    if (Array.isArray(value)) {
      // Arrays are copied: the span's own array may still be mutated by the app.
      out[key] = value.map((item): AttributeValue => (item === undefined || item === null ? null : item));
    } else {
      out[key] = value as AttributeValue;
    }
  }
  return out;
}

export function convertEvent(event: TimedEvent): SpanEvent {
  return {
    name: event.name,
    timeUnixNano: hrTimeToUnixNano(event.time),
    attributes: convertAttributes(event.attributes),
    droppedAttributesCount: event.droppedAttributesCount ?? 0,
  };
}

export function convertLink(link: Link): SpanLink {
  return {
    traceId: link.context.traceId,
    spanId: link.context.spanId,
    traceState: link.context.traceState?.serialize() ?? '',
    attributes: convertAttributes(link.attributes),
    droppedAttributesCount: link.droppedAttributesCount ?? 0,
    flags: spanFlags(link.context.traceFlags, link.context.isRemote),
  };
}

// Resource and scope objects are shared by every span of a provider/tracer:
// converting each once keeps the hot path to the span's own fields.
const resourceCache = new WeakMap<object, SpanResource>();
const scopeCache = new WeakMap<object, InstrumentationScope>();

export function convertResource(resource: ReadableSpan['resource']): SpanResource {
  // A resource whose async attributes have not settled must not be cached:
  // its attributes are still incomplete (and reading them makes the SDK warn).
  if (resource.asyncAttributesPending) {
    return { attributes: {}, droppedAttributesCount: 0, schemaUrl: resource.schemaUrl ?? '' };
  }
  let cached = resourceCache.get(resource);
  if (cached === undefined) {
    cached = {
      attributes: convertAttributes(resource.attributes),
      droppedAttributesCount: 0,
      schemaUrl: resource.schemaUrl ?? '',
    };
    resourceCache.set(resource, cached);
  }
  return cached;
}

export function convertScope(scope: ReadableSpan['instrumentationScope']): InstrumentationScope {
  let cached = scopeCache.get(scope);
  if (cached === undefined) {
    cached = {
      name: scope.name,
      version: scope.version ?? '',
      attributes: {},
      droppedAttributesCount: 0,
      schemaUrl: scope.schemaUrl ?? '',
    };
    scopeCache.set(scope, cached);
  }
  return cached;
}

/**
 * Snapshot an SDK span as a `RawSpan`. With `open`, the span is taken as it is
 * at `onStart`: no end time, whatever attributes it started with. Everything
 * mutable is copied, so later changes to the live span do not leak in.
 */
export function readableSpanToRaw(span: ReadableSpan, open = false): RawSpan {
  const ctx = span.spanContext();
  const parent = span.parentSpanContext;
  return {
    traceId: ctx.traceId,
    spanId: ctx.spanId,
    parentSpanId: parent?.spanId || null,
    traceState: ctx.traceState?.serialize() ?? '',
    flags: spanFlags(ctx.traceFlags, parent?.isRemote),
    name: span.name,
    // The API's SpanKind starts at INTERNAL = 0; OTLP reserves 0 for "unspecified".
    kind: (span.kind + 1) as SpanKindNumber,
    startTimeUnixNano: hrTimeToUnixNano(span.startTime),
    endTimeUnixNano: open ? null : hrTimeToUnixNano(span.endTime),
    attributes: convertAttributes(span.attributes),
    droppedAttributesCount: span.droppedAttributesCount,
    events: span.events.map(convertEvent),
    droppedEventsCount: span.droppedEventsCount,
    links: span.links.map(convertLink),
    droppedLinksCount: span.droppedLinksCount,
    statusCode: span.status.code as StatusCodeNumber,
    statusMessage: span.status.message ?? '',
    resource: convertResource(span.resource),
    scope: convertScope(span.instrumentationScope),
  };
}
