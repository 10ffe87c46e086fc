/**
 * An agent's events enriching its spans (model/agents/enrich-steps.ts: Claude Code's model calls by
 * `request_id`, its tools by `tool_use_id`), across requests: its traces and its logs are exported
 * separately, in either order. Run inside the commit's transaction:
 * - a span of this batch gets what its events say, from this batch and from the store;
 * - an event of this batch whose span is already stored (not in this batch) has that span re-normalized
 *   from the raw span the store kept, enriched, and written again (an upsert, as a replay is).
 */
import { agentForLog, agentForSpan, enrichSpan, eventEnrichmentKey, spanEnrichmentKey } from '../model/agents/index.js';
import type { RawLogRecord } from '../model/log-types.js';
import { DEFAULT_MAX_TEXT_LENGTH } from '../model/normalize.js';
import type { RawSpan, SpanRecord, StoredSpan } from '../model/types.js';
import { readSpans, readLogs } from './commit-reads.js';
import type { Reading } from './commit-reads.js';

/** Events of one trace read at most per batch: an agent's turn has far fewer. */
const MAX_TRACE_EVENTS = 1000;

/** Enriches `records` in place; returns the stored spans to write again. */
export function* enrichAgentSpans(
  records: SpanRecord[],
  logs: readonly RawLogRecord[],
  normalize: (raw: RawSpan) => SpanRecord,
  maxTextLength: number = DEFAULT_MAX_TEXT_LENGTH,
): Reading<SpanRecord[]> {
  const storedEvents = new Map<string, readonly RawLogRecord[]>();
  const eventsOf = function* (traceId: string): Reading<readonly RawLogRecord[]> {
    let found = storedEvents.get(traceId);
    if (found === undefined) {
      found = (yield* readLogs({ traceId, limit: MAX_TRACE_EVENTS })).items;
      storedEvents.set(traceId, found);
    }
    return found;
  };
  const inBatch = new Set<string>();
  for (const record of records) {
    const key = spanEnrichmentKey(record, agentForSpan(record.raw));
    if (key === undefined) continue;
    inBatch.add(`${key.traceId}\0${key.enrich.spanName}\0${key.joinValue}`);
    const batchEvents = logs.filter((log) => log.traceId === key.traceId);
    enrichSpan(record, key.enrich, batchEvents, maxTextLength);
    enrichSpan(record, key.enrich, yield* eventsOf(key.traceId), maxTextLength);
  }
  const again: SpanRecord[] = [];
  const done = new Set<string>();
  for (const log of logs) {
    const key = eventEnrichmentKey(log, agentForLog(log));
    if (key === undefined) continue;
    const id = `${key.traceId}\0${key.enrich.spanName}\0${key.joinValue}`;
    if (inBatch.has(id) || done.has(id)) continue;
    done.add(id);
    const stored = (yield* readSpans({ traceId: key.traceId, attributes: { [key.enrich.joinKey]: key.joinValue }, limit: 10 })).items;
    for (const span of stored) {
      if (span.name !== key.enrich.spanName) continue;
      const record = normalize(span.raw);
      const batchEvents = logs.filter((event) => event.traceId === key.traceId);
      const changed = enrichSpan(record, key.enrich, batchEvents, maxTextLength);
      enrichSpan(record, key.enrich, yield* eventsOf(key.traceId), maxTextLength);
      if (changed) again.push(record);
    }
  }
  return again;
}

/**
 * Steps made from events (steps-from-events.ts) whose turn was made in an earlier request: the stored
 * turn is stretched to end when its last step ends (an agent exports its events every few seconds, a
 * turn lasts longer). The turn is Skein's own span, never forwarded, so its kept raw end moves too.
 * Returns the stored turns to write again. A turn made again in this batch (a replayed request) keeps
 * the later end it has stored: `derived` is updated in place.
 */
export function* stretchStoredTurns(
  derived: readonly RawSpan[],
  normalize: (raw: RawSpan) => SpanRecord,
): Reading<SpanRecord[]> {
  const inBatch = new Set(derived.map((span) => span.spanId));
  for (const span of derived) {
    if (span.parentSpanId !== null || span.endTimeUnixNano === null) continue;
    const turnKey = agentForSpan(span)?.table.derive?.turnKey;
    const turn = turnKey === undefined ? undefined : span.attributes[turnKey];
    if (typeof turn !== 'string') continue;
    const stored = yield* storedSpan(span.traceId, turnKey as string, turn, span.spanId);
    if (stored?.raw.endTimeUnixNano != null && stored.raw.endTimeUnixNano > span.endTimeUnixNano) {
      span.endTimeUnixNano = stored.raw.endTimeUnixNano;
    }
  }
  const ends = new Map<string, { span: RawSpan; end: bigint }>();
  for (const span of derived) {
    if (span.parentSpanId === null || inBatch.has(span.parentSpanId) || span.endTimeUnixNano === null) continue;
    const seen = ends.get(span.parentSpanId);
    if (seen === undefined || span.endTimeUnixNano > seen.end) ends.set(span.parentSpanId, { span, end: span.endTimeUnixNano });
  }
  const again: SpanRecord[] = [];
  for (const [turnId, { span, end }] of ends) {
    const turnKey = agentForSpan(span)?.table.derive?.turnKey;
    const turn = turnKey === undefined ? undefined : span.attributes[turnKey];
    if (typeof turn !== 'string') continue;
    const stored = yield* storedSpan(span.traceId, turnKey as string, turn, turnId);
    if (stored === undefined || stored.raw.endTimeUnixNano === null || stored.raw.endTimeUnixNano >= end) continue;
    again.push(normalize({ ...stored.raw, endTimeUnixNano: end }));
  }
  return again;
}

/** The stored span `spanId` of the trace, found among those whose `key` attribute is `value`. */
function* storedSpan(traceId: string, key: string, value: string, spanId: string): Reading<StoredSpan | undefined> {
  return (yield* readSpans({ traceId, attributes: { [key]: value }, limit: MAX_TRACE_EVENTS })).items.find((s) => s.spanId === spanId);
}
