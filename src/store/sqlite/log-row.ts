/**
 * A log record as a `log_records` row (migration 007) and back. Lossless:
 * body and attributes go through the storage codec, times stay exact
 * integers, ids become BLOBs.
 */

import { decodeStorable, encodeStorable } from '../../model/attributes-codec.js';
import type { RawLogRecord, StoredLogRecord } from '../../model/log-types.js';
import type { AttributeValue, Attributes, InstrumentationScope, SpanResource } from '../../model/types.js';
import { uint64Column, uint64FromColumn } from './uint64-column.js';

const HEX_ID = /^(?:[0-9a-f]{2})+$/;

/** Lowercase hex as bytes; anything else (the decoders never give it) as no id. */
export function idBlob(hex: string | null): Buffer | null {
  return hex !== null && HEX_ID.test(hex) ? Buffer.from(hex, 'hex') : null;
}

/** The time a record is ordered by: its time, or its observed time when it has none. */
export function logSortTime(record: Pick<RawLogRecord, 'timeUnixNano' | 'observedTimeUnixNano'>): bigint {
  return record.timeUnixNano !== 0n ? record.timeUnixNano : record.observedTimeUnixNano;
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

/** The columns a read selects, joined with the interned texts (`l` the row). */
export const LOG_ROW_SELECT = `l.id, ss.text AS session_id, l.at_ns, l.time_ns, l.observed_ns, l.severity,
  st.text AS severity_text, en.text AS event_name, l.trace_id, l.span_id, l.flags, l.dropped_attributes,
  r.body AS resource_body, sc.body AS scope_body, l.body, ak.text AS attribute_keys, l.attributes
  FROM log_records l
  LEFT JOIN signal_strings ss ON ss.id = l.session_ref
  LEFT JOIN signal_strings st ON st.id = l.severity_text_ref
  LEFT JOIN signal_strings en ON en.id = l.event_name_ref
  LEFT JOIN signal_strings ak ON ak.id = l.attribute_keys_ref
  JOIN resources r ON r.id = l.resource_id
  JOIN resources sc ON sc.id = l.scope_id`;

/** A row as read with safe integers. */
export interface LogRow {
  id: bigint;
  session_id: string | null;
  at_ns: bigint;
  time_ns: bigint | null;
  observed_ns: bigint;
  severity: bigint;
  severity_text: string | null;
  event_name: string | null;
  trace_id: Buffer | null;
  span_id: Buffer | null;
  flags: bigint;
  dropped_attributes: bigint;
  resource_body: string;
  scope_body: string;
  body: string | null;
  attribute_keys: string | null;
  attributes: string | null;
}

/** Parsed key lists by their text: a handful per agent, parsed once. */
const parsedKeys = new Map<string, string[]>();

function attributesOf(keysText: string | null, valuesText: string | null): Attributes {
  const attributes: Attributes = {};
  if (keysText === null || valuesText === null) return attributes;
  let keys = parsedKeys.get(keysText);
  if (keys === undefined) {
    if (parsedKeys.size >= 1000) parsedKeys.clear();
    keys = JSON.parse(keysText) as string[];
    parsedKeys.set(keysText, keys);
  }
  const values = decodeStorable<AttributeValue[]>(valuesText);
  for (let i = 0; i < keys.length; i++) attributes[keys[i]] = values[i];
  return attributes;
}

export function rowToLogRecord(row: LogRow): StoredLogRecord {
  return {
    id: Number(row.id),
    sessionId: row.session_id,
    timeUnixNano: uint64FromColumn(row.time_ns ?? row.at_ns),
    observedTimeUnixNano: uint64FromColumn(row.observed_ns),
    severityNumber: Number(row.severity),
    severityText: row.severity_text ?? '',
    body: row.body === null ? null : decodeStorable<AttributeValue>(row.body),
    attributes: attributesOf(row.attribute_keys, row.attributes),
    droppedAttributesCount: Number(row.dropped_attributes),
    flags: Number(row.flags),
    traceId: row.trace_id === null ? null : row.trace_id.toString('hex'),
    spanId: row.span_id === null ? null : row.span_id.toString('hex'),
    eventName: row.event_name ?? '',
    resource: decodeStorable<SpanResource>(row.resource_body),
    scope: decodeStorable<InstrumentationScope>(row.scope_body),
  };
}
