/**
 * RawSpan[] → binary `ExportTraceServiceRequest`, and the export response,
 * written with protobufjs' `Writer` (field numbers from
 * test/oracle/otlp/proto/). Proto3 defaults are omitted, except inside AnyValue, whose
 * oneof has presence: `stringValue: ""` and `intValue: 0` are written.
 */
import protobuf from 'protobufjs/minimal.js';
import type { AttributeValue, Attributes, InstrumentationScope, RawSpan, SpanResource } from '../model/types.js';
import { groupSpans } from './span-groups.js';

type Writer = protobuf.Writer;

const LEN = 2;
const tag = (field: number, wireType: number): number => (field << 3) | wireType;
const MIN_INT64 = -(1n << 63n);
const MAX_INT64 = (1n << 63n) - 1n;

export function encodeProtobufTraceRequest(spans: readonly RawSpan[]): Uint8Array {
  const w = protobuf.Writer.create();
  for (const group of groupSpans(spans)) {
    w.uint32(tag(1, LEN)).fork();
    writeResource(w, group.resource);
    for (const scopeGroup of group.scopes) {
      w.uint32(tag(2, LEN)).fork();
      writeScope(w, scopeGroup.scope);
      for (const span of scopeGroup.spans) {
        w.uint32(tag(2, LEN)).fork();
        writeSpan(w, span);
        w.ldelim();
      }
      if (scopeGroup.scope.schemaUrl !== '') w.uint32(tag(3, LEN)).string(scopeGroup.scope.schemaUrl);
      w.ldelim();
    }
    if (group.resource.schemaUrl !== '') w.uint32(tag(3, LEN)).string(group.resource.schemaUrl);
    w.ldelim();
  }
  return w.finish();
}

/** `ExportTraceServiceResponse`; `partial_success` only when given. */
export function encodeProtobufExportResponse(rejectedSpans: number, errorMessage: string): Uint8Array {
  const w = protobuf.Writer.create();
  w.uint32(tag(1, LEN)).fork();
  if (rejectedSpans !== 0) w.uint32(tag(1, 0)).int64(rejectedSpans);
  if (errorMessage !== '') w.uint32(tag(2, LEN)).string(errorMessage);
  w.ldelim();
  return w.finish();
}

function writeResource(w: Writer, resource: SpanResource): void {
  if (isEmpty(resource.attributes) && resource.droppedAttributesCount === 0) return;
  w.uint32(tag(1, LEN)).fork();
  writeAttributes(w, 1, resource.attributes);
  if (resource.droppedAttributesCount !== 0) w.uint32(tag(2, 0)).uint32(resource.droppedAttributesCount);
  w.ldelim();
}

function writeScope(w: Writer, scope: InstrumentationScope): void {
  if (scope.name === '' && scope.version === '' && isEmpty(scope.attributes) && scope.droppedAttributesCount === 0) {
    return;
  }
  w.uint32(tag(1, LEN)).fork();
  if (scope.name !== '') w.uint32(tag(1, LEN)).string(scope.name);
  if (scope.version !== '') w.uint32(tag(2, LEN)).string(scope.version);
  writeAttributes(w, 3, scope.attributes);
  if (scope.droppedAttributesCount !== 0) w.uint32(tag(4, 0)).uint32(scope.droppedAttributesCount);
  w.ldelim();
}

function writeSpan(w: Writer, span: RawSpan): void {
  w.uint32(tag(1, LEN)).bytes(Buffer.from(span.traceId, 'hex'));
  w.uint32(tag(2, LEN)).bytes(Buffer.from(span.spanId, 'hex'));
  if (span.traceState !== '') w.uint32(tag(3, LEN)).string(span.traceState);
  if (span.parentSpanId !== null) w.uint32(tag(4, LEN)).bytes(Buffer.from(span.parentSpanId, 'hex'));
  if (span.name !== '') w.uint32(tag(5, LEN)).string(span.name);
  if (span.kind !== 0) w.uint32(tag(6, 0)).int32(span.kind);
  if (span.startTimeUnixNano !== 0n) writeFixed64(w, 7, span.startTimeUnixNano);
  if (span.endTimeUnixNano !== null && span.endTimeUnixNano !== 0n) writeFixed64(w, 8, span.endTimeUnixNano);
  writeAttributes(w, 9, span.attributes);
  if (span.droppedAttributesCount !== 0) w.uint32(tag(10, 0)).uint32(span.droppedAttributesCount);
  for (const event of span.events) {
    w.uint32(tag(11, LEN)).fork();
    if (event.timeUnixNano !== 0n) writeFixed64(w, 1, event.timeUnixNano);
    if (event.name !== '') w.uint32(tag(2, LEN)).string(event.name);
    writeAttributes(w, 3, event.attributes);
    if (event.droppedAttributesCount !== 0) w.uint32(tag(4, 0)).uint32(event.droppedAttributesCount);
    w.ldelim();
  }
  if (span.droppedEventsCount !== 0) w.uint32(tag(12, 0)).uint32(span.droppedEventsCount);
  for (const link of span.links) {
    w.uint32(tag(13, LEN)).fork();
    w.uint32(tag(1, LEN)).bytes(Buffer.from(link.traceId, 'hex'));
    w.uint32(tag(2, LEN)).bytes(Buffer.from(link.spanId, 'hex'));
    if (link.traceState !== '') w.uint32(tag(3, LEN)).string(link.traceState);
    writeAttributes(w, 4, link.attributes);
    if (link.droppedAttributesCount !== 0) w.uint32(tag(5, 0)).uint32(link.droppedAttributesCount);
    if (link.flags !== 0) w.uint32(tag(6, 5)).fixed32(link.flags);
    w.ldelim();
  }
  if (span.droppedLinksCount !== 0) w.uint32(tag(14, 0)).uint32(span.droppedLinksCount);
  if (span.statusCode !== 0 || span.statusMessage !== '') {
    w.uint32(tag(15, LEN)).fork();
    if (span.statusMessage !== '') w.uint32(tag(2, LEN)).string(span.statusMessage);
    if (span.statusCode !== 0) w.uint32(tag(3, 0)).int32(span.statusCode);
    w.ldelim();
  }
  if (span.flags !== 0) w.uint32(tag(16, 5)).fixed32(span.flags);
}

/** fixed64 is little-endian: low word first. */
function writeFixed64(w: Writer, field: number, value: bigint): void {
  w.uint32(tag(field, 1))
    .fixed32(Number(value & 0xffffffffn))
    .fixed32(Number((value >> 32n) & 0xffffffffn));
}

function writeAttributes(w: Writer, field: number, attributes: Attributes): void {
  for (const key in attributes) {
    w.uint32(tag(field, LEN)).fork();
    if (key !== '') w.uint32(tag(1, LEN)).string(key);
    writeAnyValue(w, 2, attributes[key]);
    w.ldelim();
  }
}

function writeAnyValue(w: Writer, field: number, value: AttributeValue): void {
  w.uint32(tag(field, LEN)).fork();
  if (typeof value === 'string') w.uint32(tag(1, LEN)).string(value);
  else if (typeof value === 'boolean') w.uint32(tag(2, 0)).bool(value);
  else if (typeof value === 'number') {
    // An integral number is an intValue: JS cannot tell 3 from 3.0 (see encode.ts).
    if (Number.isSafeInteger(value) && !Object.is(value, -0)) w.uint32(tag(3, 0)).int64(value);
    else w.uint32(tag(4, 1)).double(value);
  } else if (typeof value === 'bigint') {
    // bigints come from int64; one outside int64 can only be sent as the nearest double.
    if (value >= MIN_INT64 && value <= MAX_INT64) w.uint32(tag(3, 0)).int64(value.toString());
    else w.uint32(tag(4, 1)).double(Number(value));
  } else if (value instanceof Uint8Array) w.uint32(tag(7, LEN)).bytes(value);
  else if (Array.isArray(value)) {
    w.uint32(tag(5, LEN)).fork();
    for (const item of value) writeAnyValue(w, 1, item);
    w.ldelim();
  } else if (value !== null) {
    w.uint32(tag(6, LEN)).fork();
    writeAttributes(w, 1, value);
    w.ldelim();
  }
  w.ldelim();
}

function isEmpty(attributes: Attributes): boolean {
  for (const _key in attributes) return false;
  return true;
}
