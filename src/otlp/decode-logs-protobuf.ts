/**
 * OTLP/HTTP binary protobuf `ExportLogsServiceRequest` → RawLogRecord[],
 * straight from the bytes, like decode-protobuf.ts does for spans (same wire
 * reader, same KeyValue/AnyValue/Resource/Scope code via OtlpWireReader).
 * Field numbers are logs.proto's (test/oracle/otlp/proto/), whose generated
 * code is the test oracle. Unknown fields are skipped; a trace or span id of
 * the wrong length or all zeroes reads as null ("not associated", as logs.proto
 * tells receivers to assume), not as an error.
 */
import type { RawLogRecord } from '../model/log-types.js';
import type { AttributeValue, Attributes, SpanResource } from '../model/types.js';
import { NO_SCOPE, OtlpEnvelopeReader } from './protobuf-envelope-reader.js';
import { LEN, tag } from './protobuf-otlp-reader.js';
import { ItemRejections, type DecodedLogs, logPath, severityProblem } from './signal-results.js';
import { sessionIdProblem, timeProblem, uint32Problem } from './span-rejections.js';

export function decodeProtobufLogsRequest(body: Uint8Array): DecodedLogs {
  const decoder = new ProtobufLogsDecoder(body);
  try {
    decoder.request();
  } catch (error) {
    throw decoder.describe(error);
  }
  return {
    records: decoder.items,
    rejectedRecords: decoder.rejections.count,
    rejectionMessage: decoder.rejections.message(),
  };
}

class ProtobufLogsDecoder extends OtlpEnvelopeReader<RawLogRecord> {
  constructor(body: Uint8Array) {
    super(body, { resource: 'resourceLogs', scope: 'scopeLogs' });
  }

  readonly rejections = new ItemRejections('log record', 'log records');

  protected item(): void {
    this.logRecord();
  }

  protected itemWhere(): string {
    return logPath(this.resourceIndex, this.scopeIndex, this.spanIndex);
  }

  private logRecord(): void {
    const r = this.r;
    let timeUnixNano = 0n;
    let observedTimeUnixNano = 0n;
    let severityNumber: number | bigint = 0;
    let severityText = '';
    let body: AttributeValue = null;
    const attributes: Attributes = {};
    let droppedAttributesCount: number | bigint = 0;
    let flags = 0;
    let traceId: string | null = null;
    let spanId: string | null = null;
    let eventName = '';
    while (r.pos < r.len) {
      const t = this.nextTag();
      switch (t) {
        case tag(1, 1):
          timeUnixNano = this.fixed64();
          break;
        case tag(11, 1):
          observedTimeUnixNano = this.fixed64();
          break;
        case tag(2, 0):
          severityNumber = this.int64();
          break;
        case tag(3, LEN):
          severityText = this.string();
          break;
        case tag(5, LEN):
          body = this.anyValue(1);
          break;
        case tag(6, LEN):
          this.keyValue(attributes);
          break;
        case tag(7, 0):
          droppedAttributesCount = this.uint64();
          break;
        case tag(8, 5):
          flags = this.fixed32();
          break;
        case tag(9, LEN):
          traceId = this.id(16);
          break;
        case tag(10, LEN):
          spanId = this.id(8);
          break;
        case tag(12, LEN):
          eventName = this.string();
          break;
        default:
          this.skip(t);
      }
    }
    const reason =
      severityProblem(severityNumber) ??
      timeProblem('timeUnixNano', timeUnixNano) ??
      timeProblem('observedTimeUnixNano', observedTimeUnixNano) ??
      uint32Problem('droppedAttributesCount', droppedAttributesCount) ??
      sessionIdProblem(attributes);
    if (reason !== null) {
      this.rejections.reject(logPath(this.resourceIndex, this.scopeIndex, this.spanIndex), reason);
      return;
    }
    this.items.push({
      timeUnixNano,
      observedTimeUnixNano,
      severityNumber: severityNumber as number,
      severityText,
      body,
      attributes,
      droppedAttributesCount: droppedAttributesCount as number,
      flags,
      traceId,
      spanId,
      eventName,
      resource: PLACEHOLDER_RESOURCE,
      scope: NO_SCOPE,
    });
  }

  /** A bytes id: lowercase hex, or null when its length is not `size` or it is all zeroes. */
  private id(size: number): string | null {
    const end = this.delimited();
    const start = this.r.pos;
    this.r.pos = end;
    return end - start !== size || this.allZero(start, size) ? null : this.hex(start, size);
  }
}

const PLACEHOLDER_RESOURCE: SpanResource = Object.freeze({ attributes: {}, droppedAttributesCount: 0, schemaUrl: '' });
