/**
 * Log records as `log_records` rows and back. A batch goes in as one array
 * per column (one INSERT ... SELECT FROM unnest); every field reads back
 * exactly: times as int8 (uint64 past 2^63 - 1 kept by its bits), body,
 * attributes, resource and scope as codec JSON text.
 */

import { decodeStorable, encodeStorable } from '../../model/attributes-codec.js';
import type { RawLogRecord, StoredLogRecord } from '../../model/log-types.js';
import { logSessionKey } from '../../model/signal-sessions.js';
import type { AttributeValue, Attributes, InstrumentationScope, SpanResource } from '../../model/types.js';
import { logSortTime } from '../common/signal-keys.js';
import { uint64Column, uint64FromColumn } from '../common/uint64-column.js';
import { pgText } from './span-row.js';

const HEX_ID = /^(?:[0-9a-f]{2})+$/;

/** Lowercase hex as it came; anything else (the decoders never give it) as no id, as the SQLite store. */
export function idColumn(hex: string | null): string | null {
  return hex !== null && HEX_ID.test(hex) ? hex : null;
}

/** Encodes each distinct object once per batch: the records of one request share their resource and scope. */
export class BodyTexts {
  private readonly texts = new WeakMap<object, string>();

  of(value: object): string {
    let text = this.texts.get(value);
    if (text === undefined) {
      text = encodeStorable(value);
      this.texts.set(value, text);
    }
    return text;
  }
}

/** One array per column, in `LOG_INSERT_SQL`'s parameter order. */
export interface LogColumns {
  /** The record's own session key; null when it has none (its trace's session is looked up in SQL). */
  ownSession: (string | null)[];
  at: bigint[];
  time: bigint[];
  observed: bigint[];
  severity: number[];
  severityText: (string | null)[];
  eventName: (string | null)[];
  traceId: (string | null)[];
  spanId: (string | null)[];
  flags: number[];
  dropped: number[];
  body: (string | null)[];
  attributes: string[];
  resource: string[];
  scope: string[];
  /** `exactTextsJson` of the record's severity text and event name. */
  exact: (string | null)[];
}

/**
 * The texts of `fields` that hold U+0000 (their columns hold `pgText` of
 * them), as JSON for the `exact` column; null when none (nearly always).
 */
export function exactTextsJson(fields: Record<string, string>): string | null {
  const exact = Object.entries(fields).filter(([, value]) => value.includes('\u0000'));
  return exact.length === 0 ? null : JSON.stringify(Object.fromEntries(exact));
}

/** The exact texts of a row's `exact` column, by field (empty when none). */
export function exactTextsOf(json: string | null): Record<string, string | undefined> {
  return json === null ? {} : (JSON.parse(json) as Record<string, string>);
}

/**
 * The batch's columns. `storedAtNanos`: when the store wrote it; a record
 * with neither time nor observed time is ordered (and aged) from then, not
 * from 1970, and both its times still read back as 0.
 */
export function logColumns(records: readonly RawLogRecord[], storedAtNanos: bigint): LogColumns {
  const bodies = new BodyTexts();
  const c: LogColumns = {
    ownSession: [], at: [], time: [], observed: [], severity: [], severityText: [], eventName: [], traceId: [],
    spanId: [], flags: [], dropped: [], body: [], attributes: [], resource: [], scope: [], exact: [],
  };
  for (const record of records) {
    const sortTime = logSortTime(record);
    // Mapped as the spans map their key (`pgText`): a record keyed 'k\0' joins the session of spans keyed 'k\0'.
    c.ownSession.push(pgText(logSessionKey(record)));
    c.at.push(uint64Column(sortTime === 0n ? storedAtNanos : sortTime));
    c.time.push(uint64Column(record.timeUnixNano));
    c.observed.push(uint64Column(record.observedTimeUnixNano));
    c.severity.push(record.severityNumber);
    c.severityText.push(record.severityText === '' ? null : pgText(record.severityText));
    c.eventName.push(record.eventName === '' ? null : pgText(record.eventName));
    c.traceId.push(idColumn(record.traceId));
    c.spanId.push(idColumn(record.spanId));
    c.flags.push(record.flags);
    c.dropped.push(record.droppedAttributesCount);
    c.body.push(record.body === null ? null : encodeStorable(record.body));
    c.attributes.push(encodeStorable(record.attributes));
    c.resource.push(bodies.of(record.resource));
    c.scope.push(bodies.of(record.scope));
    c.exact.push(exactTextsJson({ severityText: record.severityText, eventName: record.eventName }));
  }
  return c;
}

/** The values of `LOG_INSERT_SQL`. */
export function logInsertValues(c: LogColumns): unknown[] {
  return [
    c.ownSession, c.at, c.time, c.observed, c.severity, c.severityText, c.eventName, c.traceId, c.spanId, c.flags,
    c.dropped, c.body, c.attributes, c.resource, c.scope, c.exact,
  ];
}

/**
 * The batch in one statement, ids in the batch's order. A record without a
 * key of its own takes its trace's session when the trace is stored.
 */
export const LOG_INSERT_SQL = `INSERT INTO log_records (session_id, inherited, at_ns, time_ns, observed_ns, severity,
    severity_text, event_name, trace_id, span_id, flags, dropped_attributes, body, attributes, resource, scope, exact)
  SELECT COALESCE(u.own_session, t.session_id), u.own_session IS NULL, u.at_ns, u.time_ns, u.observed_ns, u.severity,
    u.severity_text, u.event_name, u.trace_id, u.span_id, u.flags, u.dropped, u.body, u.attributes, u.resource, u.scope,
    u.exact
  FROM unnest($1::text[], $2::int8[], $3::int8[], $4::int8[], $5::int4[], $6::text[], $7::text[], $8::text[],
      $9::text[], $10::int8[], $11::int8[], $12::text[], $13::text[], $14::text[], $15::text[], $16::text[])
    WITH ORDINALITY AS u(own_session, at_ns, time_ns, observed_ns, severity, severity_text, event_name, trace_id,
      span_id, flags, dropped, body, attributes, resource, scope, exact, ord)
  LEFT JOIN traces t ON u.own_session IS NULL AND t.trace_id = u.trace_id
  ORDER BY u.ord`;

/** The columns a read selects from `log_records l`, for `rowToLogRecord`. */
export const LOG_READ_COLUMNS = `l.id, l.session_id, l.at_ns, l.time_ns, l.observed_ns, l.severity, l.severity_text,
  l.event_name, l.trace_id, l.span_id, l.flags, l.dropped_attributes, l.body, l.attributes, l.resource, l.scope,
  l.exact`;

export interface LogRow {
  id: bigint;
  session_id: string | null;
  at_ns: bigint;
  time_ns: bigint;
  observed_ns: bigint;
  severity: number;
  severity_text: string | null;
  event_name: string | null;
  trace_id: string | null;
  span_id: string | null;
  flags: bigint;
  dropped_attributes: bigint;
  body: string | null;
  attributes: string;
  resource: string;
  scope: string;
  exact: string | null;
}

export function rowToLogRecord(row: LogRow): StoredLogRecord {
  const exact = exactTextsOf(row.exact);
  return {
    id: Number(row.id),
    sessionId: row.session_id,
    timeUnixNano: uint64FromColumn(row.time_ns),
    observedTimeUnixNano: uint64FromColumn(row.observed_ns),
    severityNumber: row.severity,
    severityText: exact.severityText ?? row.severity_text ?? '',
    body: row.body === null ? null : decodeStorable<AttributeValue>(row.body),
    attributes: decodeStorable<Attributes>(row.attributes),
    droppedAttributesCount: Number(row.dropped_attributes),
    flags: Number(row.flags),
    traceId: row.trace_id,
    spanId: row.span_id,
    eventName: exact.eventName ?? row.event_name ?? '',
    resource: decodeStorable<SpanResource>(row.resource),
    scope: decodeStorable<InstrumentationScope>(row.scope),
  };
}
