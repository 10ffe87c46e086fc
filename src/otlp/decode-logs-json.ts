/**
 * OTLP/JSON `ExportLogsServiceRequest` → RawLogRecord[]: JSON.parse (long
 * integers kept exact by json-big-integers.ts), then a checked walk reusing
 * decode-json.ts's resource, scope, attribute and AnyValue readers.
 *
 * Tolerant where real senders differ and the meaning is unambiguous (issue
 * 16): `severityNumber` as its enum name, `intValue` as a number or a string,
 * an empty AnyValue `{}` as no value, unknown keys ignored. Ids are hex; a
 * non-hex id is bad data (400), a hex id of the wrong length or all zeroes
 * reads as "not associated" (null), as logs.proto says.
 */
import type { RawLogRecord } from '../model/log-types.js';
import type { InstrumentationScope, SpanResource } from '../model/types.js';
import { forEachEnvelopeItem, parseJsonRequest, readAnyValue, readAttributes } from './decode-json.js';
import {
  type JsonObject,
  readEnumOrName,
  readHexId,
  readString,
  readUint32,
  readUint32Wide,
  readUint64,
} from './json-values.js';
import { ItemRejections, type DecodedLogs, SEVERITY_NAMES, severityProblem, validIdOrNull } from './signal-results.js';
import { sessionIdProblem, timeProblem, uint32Problem } from './span-rejections.js';

export function decodeJsonLogsRequest(body: Uint8Array): DecodedLogs {
  const root = parseJsonRequest(body, 'ExportLogsServiceRequest');
  const records: RawLogRecord[] = [];
  const rejections = new ItemRejections('log record', 'log records');
  forEachEnvelopeItem(root, { resource: 'resourceLogs', scope: 'scopeLogs', items: 'logRecords' }, (record, path, resource, scope) => {
    const row = readLogRecord(record, path, resource, scope);
    if (typeof row === 'string') rejections.reject(path, row);
    else records.push(row);
  });
  return { records, rejectedRecords: rejections.count, rejectionMessage: rejections.message() };
}

/** The record, or why it cannot be kept. */
function readLogRecord(l: JsonObject, path: string, resource: SpanResource, scope: InstrumentationScope): RawLogRecord | string {
  const timeUnixNano = readUint64(l.timeUnixNano, `${path}.timeUnixNano`);
  const observedTimeUnixNano = readUint64(l.observedTimeUnixNano, `${path}.observedTimeUnixNano`);
  const severityNumber = readEnumOrName(l.severityNumber, `${path}.severityNumber`, SEVERITY_NAMES);
  const droppedAttributesCount = readUint32Wide(l.droppedAttributesCount, `${path}.droppedAttributesCount`);
  const attributes = readAttributes(l.attributes, `${path}.attributes`);
  const record: RawLogRecord = {
    timeUnixNano,
    observedTimeUnixNano,
    severityNumber: severityNumber as number,
    severityText: readString(l.severityText, `${path}.severityText`),
    body: readAnyValue(l.body, `${path}.body`, 1, `${path}.body`),
    attributes,
    droppedAttributesCount: droppedAttributesCount as number,
    flags: readUint32(l.flags, `${path}.flags`),
    traceId: validIdOrNull(readHexId(l.traceId, `${path}.traceId`), 16),
    spanId: validIdOrNull(readHexId(l.spanId, `${path}.spanId`), 8),
    eventName: readString(l.eventName, `${path}.eventName`),
    resource,
    scope,
  };
  return (
    severityProblem(severityNumber) ??
    timeProblem('timeUnixNano', timeUnixNano) ??
    timeProblem('observedTimeUnixNano', observedTimeUnixNano) ??
    uint32Problem('droppedAttributesCount', droppedAttributesCount) ??
    sessionIdProblem(attributes) ??
    record
  );
}
