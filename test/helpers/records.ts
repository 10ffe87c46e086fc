/**
 * Builds complete `SpanRecord`s directly (no normalizer), for store tests.
 * `makeRecord({...})` fills every field; `raw` follows the record's own
 * fields unless given.
 */

import type { RawSpan, SpanRecord } from '../../src/model/types.js';

/** 2023-11-14T22:13:20Z in nanoseconds: well past 2^53, as real timestamps are. */
export const BASE_TIME_UNIX_NANO = 1_700_000_000_000_000_000n;
export const MILLI = 1_000_000n;
export const SECOND = 1_000_000_000n;

let counter = 0;

/** A fresh lowercase-hex id of `bytes` bytes, unique within the process. */
export function hexId(bytes: 8 | 16): string {
  counter += 1;
  const tail = counter.toString(16).padStart(8, '0');
  const head = process.pid.toString(16).padStart(8, '0');
  return (head + tail).padStart(bytes * 2, 'a').slice(-bytes * 2);
}

export const newTraceId = (): string => hexId(16);
export const newSpanId = (): string => hexId(8);

export type RecordOverrides = Partial<Omit<SpanRecord, 'raw'>> & { raw?: Partial<RawSpan> };

export function makeRecord(partial: RecordOverrides = {}): SpanRecord {
  const { raw: rawOverrides, ...fields } = partial;
  const start = fields.startTimeUnixNano ?? BASE_TIME_UNIX_NANO;
  const end = fields.endTimeUnixNano === undefined ? start + 100n * MILLI : fields.endTimeUnixNano;
  const record: Omit<SpanRecord, 'raw'> = {
    traceId: newTraceId(),
    spanId: newSpanId(),
    parentSpanId: null,
    sessionId: null,
    name: 'step',
    stepType: 'other',
    operationName: null,
    startTimeUnixNano: start,
    endTimeUnixNano: end,
    statusCode: 0,
    statusMessage: '',
    isError: false,
    provider: null,
    requestModel: null,
    responseModel: null,
    agentName: null,
    agentId: null,
    userId: null,
    toolName: null,
    toolCallId: null,
    usage: {},
    cost: null,
    unpriced: false,
    input: null,
    output: null,
    reasoning: null,
    counts: { coerced: 0, dropped: 0, truncated: 0, redacted: 0 },
    ...fields,
  };
  const raw: RawSpan = {
    traceId: record.traceId,
    spanId: record.spanId,
    parentSpanId: record.parentSpanId,
    traceState: '',
    flags: 1,
    name: record.name,
    kind: 1,
    startTimeUnixNano: record.startTimeUnixNano,
    endTimeUnixNano: record.endTimeUnixNano,
    attributes: {},
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    statusCode: record.statusCode,
    statusMessage: record.statusMessage,
    resource: { attributes: { 'service.name': 'test-service' }, droppedAttributesCount: 0, schemaUrl: '' },
    scope: { name: 'test-scope', version: '1.0.0', attributes: {}, droppedAttributesCount: 0, schemaUrl: '' },
    ...rawOverrides,
  };
  return { ...record, raw };
}

/** A model call with usage and a cost. */
export function makeLlmRecord(partial: RecordOverrides = {}): SpanRecord {
  return makeRecord({
    name: 'chat gpt-4o',
    stepType: 'llm',
    operationName: 'chat',
    provider: 'openai',
    requestModel: 'gpt-4o',
    responseModel: 'gpt-4o-2024-08-06',
    usage: { input: 100, output: 20 },
    cost: { usd: 0.25, source: 'supplied' },
    ...partial,
  });
}

/** The same span, ended at `end` (the record written at end after the open one written at start). */
export function ended(record: SpanRecord, end: bigint): SpanRecord {
  return { ...record, endTimeUnixNano: end, raw: { ...record.raw, endTimeUnixNano: end } };
}

/** The same span with no end yet (as written at start). */
export function opened(record: SpanRecord): SpanRecord {
  return { ...record, endTimeUnixNano: null, raw: { ...record.raw, endTimeUnixNano: null } };
}
