/**
 * A log record as a `log_records` row (migration 007) and back. Lossless:
 * body and attributes go through the storage codec, times stay exact
 * integers, ids become BLOBs.
 */

import { decodeStorable, encodeStorable } from '../../model/attributes-codec.js';
import type { RawLogRecord, StoredLogRecord } from '../../model/log-types.js';
import type { AttributeValue, Attributes, InstrumentationScope, SpanResource } from '../../model/types.js';
import { logSortTime } from '../common/signal-keys.js';
import { uint64Column, uint64FromColumn } from '../common/uint64-column.js';
import type { InternedPage } from './signal-interner.js';

const HEX_ID = /^(?:[0-9a-f]{2})+$/;

/** Lowercase hex as bytes; anything else (the decoders never give it) as no id. */
export function idBlob(hex: string | null): Buffer | null {
  return hex !== null && HEX_ID.test(hex) ? Buffer.from(hex, 'hex') : null;
}

export interface LogRowRefs {
  sessionRef: number | null;
  severityTextRef: number | null;
  eventNameRef: number | null;
  /** The session came from the record's trace, not its own key. */
  inherited: boolean;
  /** The interned JSON array of the attribute keys (`attributeKeysText`); null when there are none. */
  attributeKeysRef: number | null;
  resourceId: number;
  scopeId: number;
}

export const LOG_INSERT_SQL = `INSERT INTO log_records (session_ref, at_ns, time_ns, observed_ns, severity,
  severity_text_ref, event_name_ref, trace_id, span_id, flags, dropped_attributes, resource_id, scope_id, body, attribute_keys_ref,
  attributes, inherited) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

/** The attribute keys in order, as the JSON text that is interned; null when there are none. */
export function attributeKeysText(attributes: Attributes): string | null {
  const keys = Object.keys(attributes);
  return keys.length === 0 ? null : JSON.stringify(keys);
}

/**
 * `storedAtNanos`: when the store wrote the record. A record with neither
 * time nor observed time is ordered (and aged by retention) from then, not
 * from 1970; both its times still read back as 0.
 */
export function logRowValues(record: RawLogRecord, refs: LogRowRefs, storedAtNanos: bigint): unknown[] {
  const sortTime = logSortTime(record);
  const at = sortTime === 0n ? storedAtNanos : sortTime;
  return [
    refs.sessionRef,
    uint64Column(at),
    record.timeUnixNano === at ? null : uint64Column(record.timeUnixNano),
    uint64Column(record.observedTimeUnixNano),
    record.severityNumber,
    refs.severityTextRef,
    refs.eventNameRef,
    idBlob(record.traceId),
    idBlob(record.spanId),
    record.flags,
    record.droppedAttributesCount,
    refs.resourceId,
    refs.scopeId,
    record.body === null ? null : encodeStorable(record.body),
    refs.attributeKeysRef,
    refs.attributeKeysRef === null ? null : encodeStorable(Object.values(record.attributes)),
    refs.inherited ? 1 : 0,
  ];
}

/**
 * A `log_records` row as a read selects it (`LOG_READ_COLUMNS`): an array
 * (better-sqlite3's raw mode), its interned texts and bodies as ids that an
 * `InternedPage` resolves once per page. Integers come as numbers but for
 * the times, which come as decimal text (exact past 2^53). Objects with six
 * joined tables and safe integers cost about twice as much (100 records:
 * ~1.2 ms against ~0.6).
 */
export type LogReadRow = [
  id: number,
  sessionRef: number | null,
  atNs: string,
  timeNs: string | null,
  observedNs: string,
  severity: number,
  severityTextRef: number | null,
  eventNameRef: number | null,
  traceId: Buffer | null,
  spanId: Buffer | null,
  flags: number,
  droppedAttributes: number,
  resourceId: number,
  scopeId: number,
  body: string | null,
  attributeKeysRef: number | null,
  attributes: string | null,
];

/** The columns of a `LogReadRow` from `log_records l`, in its order. */
export const LOG_READ_COLUMNS = `l.id, l.session_ref, CAST(l.at_ns AS TEXT), CAST(l.time_ns AS TEXT),
  CAST(l.observed_ns AS TEXT), l.severity, l.severity_text_ref, l.event_name_ref, l.trace_id, l.span_id, l.flags,
  l.dropped_attributes, l.resource_id, l.scope_id, l.body, l.attribute_keys_ref, l.attributes`;

/** Where `LogReadRow` keeps the values a page is ordered by. */
export const LOG_ROW_ID = 0;
export const LOG_ROW_AT = 2;

function attributesOf(keys: readonly string[] | null, valuesText: string | null): Attributes {
  const attributes: Attributes = {};
  if (keys === null || valuesText === null) return attributes;
  const values = decodeStorable<AttributeValue[]>(valuesText);
  for (let i = 0; i < keys.length; i++) attributes[keys[i]] = values[i];
  return attributes;
}

export function rowToLogRecord(row: LogReadRow, page: InternedPage): StoredLogRecord {
  const [
    id, sessionRef, atNs, timeNs, observedNs, severity, severityTextRef, eventNameRef, traceId, spanId, flags,
    droppedAttributes, resourceId, scopeId, body, attributeKeysRef, attributes,
  ] = row;
  return {
    id,
    sessionId: sessionRef === null ? null : page.text(sessionRef),
    timeUnixNano: uint64FromColumn(BigInt(timeNs ?? atNs)),
    observedTimeUnixNano: uint64FromColumn(BigInt(observedNs)),
    severityNumber: severity,
    severityText: severityTextRef === null ? '' : page.text(severityTextRef),
    body: body === null ? null : decodeStorable<AttributeValue>(body),
    attributes: attributesOf(attributeKeysRef === null ? null : page.keyList(attributeKeysRef), attributes),
    droppedAttributesCount: droppedAttributes,
    flags,
    traceId: traceId === null ? null : traceId.toString('hex'),
    spanId: spanId === null ? null : spanId.toString('hex'),
    eventName: eventNameRef === null ? '' : page.text(eventNameRef),
    resource: page.body<SpanResource>(resourceId),
    scope: page.body<InstrumentationScope>(scopeId),
  };
}
