/**
 * RawLogRecord[] → binary `ExportLogsServiceRequest` (logs.proto's field
 * numbers, test/oracle/otlp/proto/): what the outbox forwards upstream.
 * Records are grouped by resource and scope in request order (the shared
 * envelope of encode-protobuf-parts.ts), so decodeLogsRequest gives back the
 * same records in the same order. Every field the decoder reads is written;
 * times are exact.
 */
import type { RawLogRecord } from '../model/log-types.js';
import { I32, LEN, VARINT, type Writer, encodeGrouped, tag, writeAnyValue, writeAttributes, writeFixed64, writeHexBytes } from './encode-protobuf-parts.js';

export function encodeLogsRequest(records: readonly RawLogRecord[]): Uint8Array {
  return encodeGrouped(records, writeLogRecord);
}

function writeLogRecord(w: Writer, record: RawLogRecord): void {
  if (record.timeUnixNano !== 0n) writeFixed64(w, 1, record.timeUnixNano);
  if (record.severityNumber !== 0) w.uint32(tag(2, VARINT)).int32(record.severityNumber);
  if (record.severityText !== '') w.uint32(tag(3, LEN)).string(record.severityText);
  // No body is no field: an AnyValue with nothing set would decode to the same null.
  if (record.body !== null && record.body !== undefined) writeAnyValue(w, 5, record.body);
  writeAttributes(w, 6, record.attributes);
  if (record.droppedAttributesCount !== 0) w.uint32(tag(7, VARINT)).uint32(record.droppedAttributesCount);
  if (record.flags !== 0) w.uint32(tag(8, I32)).fixed32(record.flags);
  if (record.traceId !== null) writeHexBytes(w, 9, record.traceId);
  if (record.spanId !== null) writeHexBytes(w, 10, record.spanId);
  if (record.observedTimeUnixNano !== 0n) writeFixed64(w, 11, record.observedTimeUnixNano);
  if (record.eventName !== '') w.uint32(tag(12, LEN)).string(record.eventName);
}
