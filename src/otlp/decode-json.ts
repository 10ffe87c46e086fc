/**
 * OTLP/JSON → RawSpan[] (JSON.parse, then a checked walk to rows).
 *
 * To the letter of the spec's "JSON Protobuf Encoding" section:
 * - Keys are lowerCamelCase field names; the original (snake_case) names "are
 *   not valid", and receivers MUST ignore fields with unknown names and decode
 *   as if they were absent. So `trace_id` is ignored like any unknown key:
 *   the span then has no trace id and is rejected on its own (partial success),
 *   and `{"resource_spans": [...]}` is an empty request.
 * - Enum name strings MUST NOT be used: `"kind": "SPAN_KIND_SERVER"` is bad
 *   data, a 400 (see json-values.ts).
 * - Ids are hex in either case; a base64 id is not hex, so it is bad data too.
 */
import type {
  AttributeValue,
  Attributes,
  InstrumentationScope,
  RawSpan,
  SpanEvent,
  SpanLink,
  SpanResource,
} from '../model/types.js';
import { setAttribute } from './attributes.js';
import { quoteUnsafeIntegers } from './json-big-integers.js';
import {
  type JsonObject,
  describeJson,
  isJsonObject,
  readArray,
  readBase64,
  readBool,
  readDouble,
  readEnum,
  readHexId,
  readInt64,
  readObject,
  readString,
  readUint32,
  readUint32Wide,
  readUint64,
} from './json-values.js';
import { OtlpDecodeError, type DecodedTraces } from './otlp-decode-error.js';
import {
  MAX_ANY_VALUE_DEPTH,
  SpanRejections,
  sessionIdProblem,
  spanKindProblem,
  statusCodeProblem,
  timeProblem,
  uint32Problem,
} from './span-rejections.js';

const SPAN_KIND_NAMES: Readonly<Record<string, number>> = {
  SPAN_KIND_UNSPECIFIED: 0,
  SPAN_KIND_INTERNAL: 1,
  SPAN_KIND_SERVER: 2,
  SPAN_KIND_CLIENT: 3,
  SPAN_KIND_PRODUCER: 4,
  SPAN_KIND_CONSUMER: 5,
};
const STATUS_CODE_NAMES: Readonly<Record<string, number>> = {
  STATUS_CODE_UNSET: 0,
  STATUS_CODE_OK: 1,
  STATUS_CODE_ERROR: 2,
};

const utf8 = new TextDecoder('utf-8');

/** Parses an OTLP/JSON body into an object, or throws OtlpDecodeError naming what it is instead. */
export function parseJsonRequest(body: Uint8Array, message: string): JsonObject {
  let root: unknown;
  try {
    root = JSON.parse(quoteUnsafeIntegers(utf8.decode(body)));
  } catch (error) {
    throw new OtlpDecodeError(`invalid JSON: ${(error as Error).message}`);
  }
  if (!isJsonObject(root)) {
    throw new OtlpDecodeError(`invalid OTLP/JSON: the body must be an ${message} object, got ${describeJson(root)}`);
  }
  return root;
}

export function decodeJsonTraceRequest(body: Uint8Array): DecodedTraces {
  const root = parseJsonRequest(body, 'ExportTraceServiceRequest');
  const spans: RawSpan[] = [];
  const rejections = new SpanRejections();
  forEachEnvelopeItem(root, SPAN_ENVELOPE, (span, path, resource, scope) => {
    const row = readSpan(span, path, resource, scope);
    if (typeof row === 'string') rejections.reject(path, row);
    else spans.push(row);
  });
  return { spans, rejectedSpans: rejections.count, rejectionMessage: rejections.message() };
}

/** How an OTLP/JSON export request names its groups and items (`resourceSpans`, `scopeSpans`, `spans`). */
export interface EnvelopeNames {
  resource: string;
  scope: string;
  items: string;
}

const SPAN_ENVELOPE: EnvelopeNames = { resource: 'resourceSpans', scope: 'scopeSpans', items: 'spans' };

/**
 * Visits every item object of an OTLP/JSON export request with its path (`resourceSpans[0].
 * scopeSpans[1].spans[2]`), resource and scope: the envelope every signal shares. A null group or
 * item is skipped; anything else that is not an object or array is an OtlpDecodeError naming it.
 */
export function forEachEnvelopeItem(
  root: JsonObject,
  names: EnvelopeNames,
  visit: (item: JsonObject, path: string, resource: SpanResource, scope: InstrumentationScope) => void,
): void {
  const resources = readArray(root[names.resource], names.resource);
  for (let ri = 0; ri < resources.length; ri++) {
    const resourcePath = `${names.resource}[${ri}]`;
    const group = readObject(resources[ri], resourcePath);
    if (group === null) continue;
    const resource = readResource(group, resourcePath);
    const scopes = readArray(group[names.scope], `${resourcePath}.${names.scope}`);
    for (let si = 0; si < scopes.length; si++) {
      const scopePath = `${resourcePath}.${names.scope}[${si}]`;
      const scopeGroup = readObject(scopes[si], scopePath);
      if (scopeGroup === null) continue;
      const scope = readScope(scopeGroup, scopePath);
      const list = readArray(scopeGroup[names.items], `${scopePath}.${names.items}`);
      for (let ii = 0; ii < list.length; ii++) {
        const path = `${scopePath}.${names.items}[${ii}]`;
        const item = readObject(list[ii], path);
        if (item !== null) visit(item, path, resource, scope);
      }
    }
  }
}

export function readResource(rs: JsonObject, path: string): SpanResource {
  const resource = readObject(rs.resource, `${path}.resource`);
  return {
    attributes: resource === null ? {} : readAttributes(resource.attributes, `${path}.resource.attributes`),
    droppedAttributesCount:
      resource === null ? 0 : readUint32(resource.droppedAttributesCount, `${path}.resource.droppedAttributesCount`),
    schemaUrl: readString(rs.schemaUrl, `${path}.schemaUrl`),
  };
}

export function readScope(ss: JsonObject, path: string): InstrumentationScope {
  const scope = readObject(ss.scope, `${path}.scope`);
  const schemaUrl = readString(ss.schemaUrl, `${path}.schemaUrl`);
  if (scope === null) return { name: '', version: '', attributes: {}, droppedAttributesCount: 0, schemaUrl };
  return {
    name: readString(scope.name, `${path}.scope.name`),
    version: readString(scope.version, `${path}.scope.version`),
    attributes: readAttributes(scope.attributes, `${path}.scope.attributes`),
    droppedAttributesCount: readUint32(scope.droppedAttributesCount, `${path}.scope.droppedAttributesCount`),
    schemaUrl,
  };
}

/** The span, or why it cannot be kept. */
function readSpan(s: JsonObject, path: string, resource: SpanResource, scope: InstrumentationScope): RawSpan | string {
  const traceId = readHexId(s.traceId, `${path}.traceId`);
  const spanId = readHexId(s.spanId, `${path}.spanId`);
  const parentSpanId = readHexId(s.parentSpanId, `${path}.parentSpanId`);
  const kind = readEnum(s.kind, `${path}.kind`, SPAN_KIND_NAMES);
  const status = readObject(s.status, `${path}.status`);
  const statusCode = status === null ? 0 : readEnum(status.code, `${path}.status.code`, STATUS_CODE_NAMES);
  const statusMessage = status === null ? '' : readString(status.message, `${path}.status.message`);
  const startTimeUnixNano = readUint64(s.startTimeUnixNano, `${path}.startTimeUnixNano`);
  const endTimeUnixNano = readUint64(s.endTimeUnixNano, `${path}.endTimeUnixNano`);
  const flags = readUint32Wide(s.flags, `${path}.flags`);
  const droppedAttributesCount = readUint32Wide(s.droppedAttributesCount, `${path}.droppedAttributesCount`);
  const droppedEventsCount = readUint32Wide(s.droppedEventsCount, `${path}.droppedEventsCount`);
  const droppedLinksCount = readUint32Wide(s.droppedLinksCount, `${path}.droppedLinksCount`);
  const attributes = readAttributes(s.attributes, `${path}.attributes`);
  const events: SpanEvent[] = [];
  let badEvent: string | null = null;
  const rawEvents = readArray(s.events, `${path}.events`);
  for (let i = 0; i < rawEvents.length; i++) {
    const event = readEvent(rawEvents[i], `${path}.events[${i}]`, i);
    if (typeof event === 'string') badEvent ??= event;
    else events.push(event);
  }
  const links: SpanLink[] = [];
  let badLink: string | null = null;
  const rawLinks = readArray(s.links, `${path}.links`);
  for (let i = 0; i < rawLinks.length; i++) {
    const link = readLink(rawLinks[i], `${path}.links[${i}]`, i);
    if (typeof link === 'string') badLink ??= link;
    else links.push(link);
  }
  const row: RawSpan = {
    traceId,
    spanId,
    // An all-zero parent is how some converters spell "no parent".
    parentSpanId: parentSpanId === '' || isAllZero(parentSpanId) ? null : parentSpanId,
    traceState: readString(s.traceState, `${path}.traceState`),
    flags: flags as number,
    name: readString(s.name, `${path}.name`),
    kind: kind as RawSpan['kind'],
    startTimeUnixNano,
    // OTLP has no "still open": a zero end time means none was recorded.
    endTimeUnixNano: endTimeUnixNano === 0n ? null : endTimeUnixNano,
    attributes,
    droppedAttributesCount: droppedAttributesCount as number,
    events,
    droppedEventsCount: droppedEventsCount as number,
    links,
    droppedLinksCount: droppedLinksCount as number,
    statusCode: statusCode as RawSpan['statusCode'],
    statusMessage,
    resource,
    scope,
  };
  return (
    idProblem('traceId', traceId, 16) ??
    idProblem('spanId', spanId, 8) ??
    (parentSpanId.length !== 0 && parentSpanId.length !== 16
      ? `parentSpanId must be empty or 8 bytes, got ${parentSpanId.length / 2}`
      : null) ??
    badLink ??
    spanKindProblem(kind) ??
    statusCodeProblem(statusCode) ??
    timeProblem('startTimeUnixNano', startTimeUnixNano) ??
    timeProblem('endTimeUnixNano', endTimeUnixNano) ??
    badEvent ??
    uint32Problem('droppedAttributesCount', droppedAttributesCount) ??
    uint32Problem('droppedEventsCount', droppedEventsCount) ??
    uint32Problem('droppedLinksCount', droppedLinksCount) ??
    uint32Problem('flags', flags) ??
    sessionIdProblem(attributes) ??
    row
  );
}

/** An event, or why it makes its span unkeepable. */
function readEvent(value: unknown, path: string, index: number): SpanEvent | string {
  const e = readObject(value, path) ?? {};
  const timeUnixNano = readUint64(e.timeUnixNano, `${path}.timeUnixNano`);
  const droppedAttributesCount = readUint32Wide(e.droppedAttributesCount, `${path}.droppedAttributesCount`);
  const event: SpanEvent = {
    name: readString(e.name, `${path}.name`),
    timeUnixNano,
    attributes: readAttributes(e.attributes, `${path}.attributes`),
    droppedAttributesCount: droppedAttributesCount as number,
  };
  return (
    timeProblem(`events[${index}].timeUnixNano`, timeUnixNano) ??
    uint32Problem(`events[${index}].droppedAttributesCount`, droppedAttributesCount) ??
    event
  );
}

function readLink(value: unknown, path: string, index: number): SpanLink | string {
  const l = readObject(value, path) ?? {};
  const traceId = readHexId(l.traceId, `${path}.traceId`);
  const spanId = readHexId(l.spanId, `${path}.spanId`);
  const droppedAttributesCount = readUint32Wide(l.droppedAttributesCount, `${path}.droppedAttributesCount`);
  const flags = readUint32Wide(l.flags, `${path}.flags`);
  const link: SpanLink = {
    traceId,
    spanId,
    traceState: readString(l.traceState, `${path}.traceState`),
    attributes: readAttributes(l.attributes, `${path}.attributes`),
    droppedAttributesCount: droppedAttributesCount as number,
    flags: flags as number,
  };
  const problem =
    idProblem('traceId', traceId, 16) ??
    idProblem('spanId', spanId, 8) ??
    uint32Problem('droppedAttributesCount', droppedAttributesCount) ??
    uint32Problem('flags', flags);
  return problem === null ? link : `links[${index}].${problem}`;
}

export function readAttributes(value: unknown, path: string): Attributes {
  const list = readArray(value, path);
  const attributes: Attributes = {};
  for (let i = 0; i < list.length; i++) readKeyValue(list[i], `${path}[${i}]`, attributes, 1);
  return attributes;
}

/** `top` is the path of the outermost attribute value, which is what a nesting error names. */
function readKeyValue(value: unknown, path: string, target: Attributes, depth: number, top?: string): void {
  const kv = readObject(value, path);
  if (kv === null) return;
  const valuePath = `${path}.value`;
  setAttribute(target, readString(kv.key, `${path}.key`), readAnyValue(kv.value, valuePath, depth, top ?? valuePath));
}

export function readAnyValue(value: unknown, path: string, depth: number, top: string): AttributeValue {
  if (depth > MAX_ANY_VALUE_DEPTH) {
    throw new OtlpDecodeError(`${top}: attribute value is nested more than ${MAX_ANY_VALUE_DEPTH} levels deep`);
  }
  const o = readObject(value, path);
  if (o === null) return null;
  let result: AttributeValue = null;
  let members = 0;
  for (const key in o) {
    const member = o[key];
    if (member === null) continue;
    switch (key) {
      case 'stringValue':
        result = readString(member, `${path}.stringValue`);
        break;
      case 'boolValue':
        result = readBool(member, `${path}.boolValue`);
        break;
      case 'intValue':
        result = readInt64(member, `${path}.intValue`);
        break;
      case 'doubleValue':
        result = readDouble(member, `${path}.doubleValue`);
        break;
      case 'bytesValue':
        result = readBase64(member, `${path}.bytesValue`);
        break;
      case 'arrayValue': {
        const arrayPath = `${path}.arrayValue`;
        const values = readArray((readObject(member, arrayPath) ?? {}).values, `${arrayPath}.values`);
        const items: AttributeValue[] = new Array<AttributeValue>(values.length);
        for (let i = 0; i < values.length; i++) items[i] = readAnyValue(values[i], `${arrayPath}.values[${i}]`, depth + 1, top);
        result = items;
        break;
      }
      case 'kvlistValue': {
        const listPath = `${path}.kvlistValue`;
        const values = readArray((readObject(member, listPath) ?? {}).values, `${listPath}.values`);
        const object: Attributes = {};
        for (let i = 0; i < values.length; i++) readKeyValue(values[i], `${listPath}.values[${i}]`, object, depth + 1, top);
        result = object;
        break;
      }
      default:
        continue; // unknown names are ignored, as the spec requires
    }
    members++;
  }
  if (members > 1) throw new OtlpDecodeError(`${path}: more than one value is set; AnyValue holds exactly one`);
  return result;
}

function isAllZero(hex: string): boolean {
  for (let i = 0; i < hex.length; i++) if (hex.charCodeAt(i) !== 0x30) return false;
  return true;
}

function idProblem(field: string, hex: string, size: number): string | null {
  if (hex.length !== size * 2) return `${field} must be ${size} bytes, got ${hex.length / 2}`;
  return isAllZero(hex) ? `${field} is all zeroes` : null;
}
