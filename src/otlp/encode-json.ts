/**
 * RawSpan[] → OTLP/JSON `ExportTraceServiceRequest`, and the export
 * response. As the spec's "JSON Protobuf Encoding" asks: lowerCamelCase keys,
 * hex ids, enums as integers, 64-bit integers as decimal strings, bytes in
 * AnyValue as base64; default values are omitted except inside AnyValue.
 */
import type { AttributeValue, Attributes, InstrumentationScope, RawSpan, SpanResource } from '../model/types.js';
import { groupSpans } from './span-groups.js';

type Json = Record<string, unknown>;

const MIN_INT64 = -(1n << 63n);
const MAX_INT64 = (1n << 63n) - 1n;
const utf8 = new TextEncoder();

export function encodeJsonTraceRequest(spans: readonly RawSpan[]): Uint8Array {
  const resourceSpans = groupSpans(spans).map((group) => {
    const rs: Json = {};
    const resource = resourceJson(group.resource);
    if (resource !== null) rs.resource = resource;
    rs.scopeSpans = group.scopes.map((scopeGroup) => {
      const ss: Json = {};
      const scope = scopeJson(scopeGroup.scope);
      if (scope !== null) ss.scope = scope;
      ss.spans = scopeGroup.items.map(spanJson);
      if (scopeGroup.scope.schemaUrl !== '') ss.schemaUrl = scopeGroup.scope.schemaUrl;
      return ss;
    });
    if (group.resource.schemaUrl !== '') rs.schemaUrl = group.resource.schemaUrl;
    return rs;
  });
  return utf8.encode(JSON.stringify({ resourceSpans }));
}

export function encodeJsonExportResponse(rejectedSpans: number, errorMessage: string): Uint8Array {
  const partialSuccess: Json = {};
  if (rejectedSpans !== 0) partialSuccess.rejectedSpans = String(rejectedSpans);
  if (errorMessage !== '') partialSuccess.errorMessage = errorMessage;
  return utf8.encode(JSON.stringify({ partialSuccess }));
}

function resourceJson(resource: SpanResource): Json | null {
  const attributes = attributesJson(resource.attributes);
  if (attributes.length === 0 && resource.droppedAttributesCount === 0) return null;
  const json: Json = { attributes };
  if (resource.droppedAttributesCount !== 0) json.droppedAttributesCount = resource.droppedAttributesCount;
  return json;
}

function scopeJson(scope: InstrumentationScope): Json | null {
  const attributes = attributesJson(scope.attributes);
  if (scope.name === '' && scope.version === '' && attributes.length === 0 && scope.droppedAttributesCount === 0) {
    return null;
  }
  const json: Json = {};
  if (scope.name !== '') json.name = scope.name;
  if (scope.version !== '') json.version = scope.version;
  if (attributes.length !== 0) json.attributes = attributes;
  if (scope.droppedAttributesCount !== 0) json.droppedAttributesCount = scope.droppedAttributesCount;
  return json;
}

function spanJson(span: RawSpan): Json {
  const json: Json = { traceId: span.traceId, spanId: span.spanId };
  if (span.traceState !== '') json.traceState = span.traceState;
  if (span.parentSpanId !== null) json.parentSpanId = span.parentSpanId;
  if (span.flags !== 0) json.flags = span.flags;
  if (span.name !== '') json.name = span.name;
  if (span.kind !== 0) json.kind = span.kind;
  if (span.startTimeUnixNano !== 0n) json.startTimeUnixNano = span.startTimeUnixNano.toString();
  if (span.endTimeUnixNano !== null && span.endTimeUnixNano !== 0n) {
    json.endTimeUnixNano = span.endTimeUnixNano.toString();
  }
  const attributes = attributesJson(span.attributes);
  if (attributes.length !== 0) json.attributes = attributes;
  if (span.droppedAttributesCount !== 0) json.droppedAttributesCount = span.droppedAttributesCount;
  if (span.events.length !== 0) {
    json.events = span.events.map((event) => {
      const e: Json = {};
      if (event.timeUnixNano !== 0n) e.timeUnixNano = event.timeUnixNano.toString();
      if (event.name !== '') e.name = event.name;
      const eventAttributes = attributesJson(event.attributes);
      if (eventAttributes.length !== 0) e.attributes = eventAttributes;
      if (event.droppedAttributesCount !== 0) e.droppedAttributesCount = event.droppedAttributesCount;
      return e;
    });
  }
  if (span.droppedEventsCount !== 0) json.droppedEventsCount = span.droppedEventsCount;
  if (span.links.length !== 0) {
    json.links = span.links.map((link) => {
      const l: Json = { traceId: link.traceId, spanId: link.spanId };
      if (link.traceState !== '') l.traceState = link.traceState;
      const linkAttributes = attributesJson(link.attributes);
      if (linkAttributes.length !== 0) l.attributes = linkAttributes;
      if (link.droppedAttributesCount !== 0) l.droppedAttributesCount = link.droppedAttributesCount;
      if (link.flags !== 0) l.flags = link.flags;
      return l;
    });
  }
  if (span.droppedLinksCount !== 0) json.droppedLinksCount = span.droppedLinksCount;
  if (span.statusCode !== 0 || span.statusMessage !== '') {
    const status: Json = {};
    if (span.statusMessage !== '') status.message = span.statusMessage;
    if (span.statusCode !== 0) status.code = span.statusCode;
    json.status = status;
  }
  return json;
}

function attributesJson(attributes: Attributes): Json[] {
  const list: Json[] = [];
  for (const key in attributes) list.push({ key, value: anyValueJson(attributes[key]) });
  return list;
}

function anyValueJson(value: AttributeValue): Json {
  if (typeof value === 'string') return { stringValue: value };
  if (typeof value === 'boolean') return { boolValue: value };
  if (typeof value === 'number') {
    // An integral number is an intValue: JS cannot tell 3 from 3.0 (see encode.ts).
    if (Number.isSafeInteger(value) && !Object.is(value, -0)) return { intValue: String(value) };
    if (Object.is(value, -0)) return { doubleValue: '-0' }; // JSON.stringify(-0) would print 0
    return { doubleValue: Number.isFinite(value) ? value : String(value) }; // "NaN", "Infinity", "-Infinity"
  }
  if (typeof value === 'bigint') {
    if (value >= MIN_INT64 && value <= MAX_INT64) return { intValue: value.toString() };
    return { doubleValue: Number(value) };
  }
  if (value instanceof Uint8Array) return { bytesValue: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') };
  if (Array.isArray(value)) return { arrayValue: { values: value.map(anyValueJson) } };
  if (value !== null) return { kvlistValue: { values: attributesJson(value) } };
  return {};
}
