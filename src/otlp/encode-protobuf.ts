/**
 * RawSpan[] → binary `ExportTraceServiceRequest`, and the export response,
 * on the shared envelope, KeyValue and AnyValue writing of
 * encode-protobuf-parts.ts (field numbers from test/oracle/otlp/proto/).
 */
import protobuf from 'protobufjs/minimal.js';
import type { RawSpan } from '../model/types.js';
import { I32, LEN, VARINT, type Writer, encodeGrouped, tag, writeAttributes, writeFixed64, writeHexBytes } from './encode-protobuf-parts.js';

export function encodeProtobufTraceRequest(spans: readonly RawSpan[]): Uint8Array {
  return encodeGrouped(spans, writeSpan);
}

/** `ExportTraceServiceResponse`; `partial_success` only when given. */
export function encodeProtobufExportResponse(rejectedSpans: number, errorMessage: string): Uint8Array {
  const w = protobuf.Writer.create();
  w.uint32(tag(1, LEN)).fork();
  if (rejectedSpans !== 0) w.uint32(tag(1, VARINT)).int64(rejectedSpans);
  if (errorMessage !== '') w.uint32(tag(2, LEN)).string(errorMessage);
  w.ldelim();
  return w.finish();
}

function writeSpan(w: Writer, span: RawSpan): void {
  writeHexBytes(w, 1, span.traceId);
  writeHexBytes(w, 2, span.spanId);
  if (span.traceState !== '') w.uint32(tag(3, LEN)).string(span.traceState);
  if (span.parentSpanId !== null) writeHexBytes(w, 4, span.parentSpanId);
  if (span.name !== '') w.uint32(tag(5, LEN)).string(span.name);
  if (span.kind !== 0) w.uint32(tag(6, VARINT)).int32(span.kind);
  if (span.startTimeUnixNano !== 0n) writeFixed64(w, 7, span.startTimeUnixNano);
  if (span.endTimeUnixNano !== null && span.endTimeUnixNano !== 0n) writeFixed64(w, 8, span.endTimeUnixNano);
  writeAttributes(w, 9, span.attributes);
  if (span.droppedAttributesCount !== 0) w.uint32(tag(10, VARINT)).uint32(span.droppedAttributesCount);
  for (const event of span.events) {
    w.uint32(tag(11, LEN)).fork();
    if (event.timeUnixNano !== 0n) writeFixed64(w, 1, event.timeUnixNano);
    if (event.name !== '') w.uint32(tag(2, LEN)).string(event.name);
    writeAttributes(w, 3, event.attributes);
    if (event.droppedAttributesCount !== 0) w.uint32(tag(4, VARINT)).uint32(event.droppedAttributesCount);
    w.ldelim();
  }
  if (span.droppedEventsCount !== 0) w.uint32(tag(12, VARINT)).uint32(span.droppedEventsCount);
  for (const link of span.links) {
    w.uint32(tag(13, LEN)).fork();
    writeHexBytes(w, 1, link.traceId);
    writeHexBytes(w, 2, link.spanId);
    if (link.traceState !== '') w.uint32(tag(3, LEN)).string(link.traceState);
    writeAttributes(w, 4, link.attributes);
    if (link.droppedAttributesCount !== 0) w.uint32(tag(5, VARINT)).uint32(link.droppedAttributesCount);
    if (link.flags !== 0) w.uint32(tag(6, I32)).fixed32(link.flags);
    w.ldelim();
  }
  if (span.droppedLinksCount !== 0) w.uint32(tag(14, VARINT)).uint32(span.droppedLinksCount);
  if (span.statusCode !== 0 || span.statusMessage !== '') {
    w.uint32(tag(15, LEN)).fork();
    if (span.statusMessage !== '') w.uint32(tag(2, LEN)).string(span.statusMessage);
    if (span.statusCode !== 0) w.uint32(tag(3, VARINT)).int32(span.statusCode);
    w.ldelim();
  }
  if (span.flags !== 0) w.uint32(tag(16, I32)).fixed32(span.flags);
}
