/**
 * A model call's usage joined from the log event that reports it (model/agents/usage-join.ts: the
 * agent table's `usageJoin`, Gemini CLI's `gemini_cli.api_response`), across requests: an agent exports
 * its traces and its logs separately, in either order, and may send them again. Run inside the commit's
 * transaction:
 * - a model call of this batch gets the counts of its event, from this batch or from the store;
 * - an event of this batch whose call is already stored (not in this batch) has that call re-normalized
 *   from the raw span the store kept, joined, and written again (an upsert: the session's rollup moves
 *   by the difference only).
 * Each time, the call starts from its span as it arrived and the event's counts replace the span's, so
 * a call is counted once however often and in whatever order its signals come. Its cost is computed
 * from the joined counts by the same normalizer (cache reads at the cache-read rate, reasoning once).
 */
import { agentForLog, agentForSpan } from '../model/agents/index.js';
import { isUsageEvent, joinEventUsage, matchesUsageEvent, usageAttributes, usageEventFor, usageOfEvent } from '../model/agents/usage-join.js';
import type { AgentUsageJoin } from '../model/agents/usage-join.js';
import type { RawLogRecord } from '../model/log-types.js';
import { logSessionKey } from '../model/signal-sessions.js';
import type { RawSpan, SpanRecord, StoredSpan, TokenUsage } from '../model/types.js';
import { readLogs, readSpans } from './commit-reads.js';
import type { Reading } from './commit-reads.js';

/** Records read per store lookup at most: one call's window holds a handful of events, a trace a handful of calls. */
const MAX_READ = 1000;
/** Stored calls of the session and model started before an event, latest first, that it is checked against. */
const MAX_CANDIDATE_CALLS = 20;

type Normalize = (raw: RawSpan) => SpanRecord;

/** Joins the usage of the model calls in `records` in place; returns the stored calls to write again. */
export function* joinAgentUsage(
  records: readonly SpanRecord[],
  logs: readonly RawLogRecord[],
  normalize: Normalize,
): Reading<SpanRecord[]> {
  const batchEvents: { join: AgentUsageJoin; event: RawLogRecord }[] = [];
  for (const event of logs) {
    const join = agentForLog(event)?.table.usageJoin;
    if (join !== undefined && isUsageEvent(join, event)) batchEvents.push({ join, event });
  }
  const batchCalls: { join: AgentUsageJoin; record: SpanRecord }[] = [];
  for (const record of records) {
    if (record.stepType !== 'llm') continue;
    const join = agentForSpan(record.raw)?.table.usageJoin;
    if (join !== undefined) batchCalls.push({ join, record });
  }
  if (batchCalls.length === 0 && batchEvents.length === 0) return [];

  // The calls an event without a span id may report (of this batch, and stored): it goes to one of them only.
  const rivals = new Map<string, SpanRecord[]>();
  const rivalKey = (join: AgentUsageJoin, event: RawLogRecord): string =>
    `${String(logSessionKey(event))}\0${String(event.attributes[join.modelKey])}\0${event.timeUnixNano}`;
  const readRivals = function* (join: AgentUsageJoin, event: RawLogRecord): Reading<void> {
    const key = rivalKey(join, event);
    if (rivals.has(key)) return;
    rivals.set(key, [...batchCalls.filter((c) => c.join === join).map((c) => c.record), ...(yield* storedCallsFor(join, event))]);
  };
  const eventFor = function* (join: AgentUsageJoin, step: SpanRecord): Reading<RawLogRecord | undefined> {
    const events = [...batchEvents.filter((e) => e.join === join).map((e) => e.event), ...(yield* storedEventsFor(join, step))];
    // usageEventFor weighs an event without a span id against its rival calls, asked for synchronously: read
    // them first (none is needed when an event tied to the step's span matches: that one wins).
    const matching = events.filter((event) => matchesUsageEvent(join, step, event));
    if (!matching.some((event) => event.spanId !== null)) {
      for (const event of matching) yield* readRivals(join, event);
    }
    return usageEventFor(join, step, events, (event) => rivals.get(rivalKey(join, event)) ?? []);
  };

  const inBatch = new Set<string>();
  for (const { join, record } of batchCalls) {
    inBatch.add(idOf(record));
    const event = yield* eventFor(join, record);
    if (event !== undefined) applyUsage(record, join, event, normalize);
  }

  const again: SpanRecord[] = [];
  const seen = new Set(inBatch);
  for (const { join, event } of batchEvents) {
    for (const stored of yield* storedCallsFor(join, event)) {
      const id = idOf(stored);
      if (seen.has(id) || !matchesUsageEvent(join, stored, event)) continue;
      seen.add(id);
      const record = normalize(stored.raw);
      const best = yield* eventFor(join, record);
      if (best !== undefined) applyUsage(record, join, best, normalize);
      if (!sameUsage(record.usage, stored.usage) || record.cost?.usd !== stored.cost?.usd || record.unpriced !== stored.unpriced) {
        again.push(record);
      }
    }
  }
  return again;
}

/**
 * The call's usage becomes the event's counts over the span's, and its cost what the normalizer makes
 * of the span carrying them (a supplied cost is kept: it wins over a computed one).
 */
function applyUsage(record: SpanRecord, join: AgentUsageJoin, event: RawLogRecord, normalize: Normalize): void {
  const usage = joinEventUsage(record.usage, usageOfEvent(join, event));
  const raw = record.raw;
  const priced = normalize({ ...raw, attributes: { ...raw.attributes, ...usageAttributes(usage) } });
  record.usage = priced.usage;
  if (record.cost?.source === 'supplied') return;
  record.cost = priced.cost;
  record.unpriced = priced.unpriced;
}

/** Stored usage events that may report `step`: those tied to its span, and those of its session logged while it ran. */
function* storedEventsFor(join: AgentUsageJoin, step: SpanRecord): Reading<RawLogRecord[]> {
  const found = (yield* readLogs({ traceId: step.traceId, spanId: step.spanId, limit: MAX_READ })).items.filter((e) => isUsageEvent(join, e));
  if (step.sessionId !== null) {
    const window = (yield* readLogs({
      sessionId: step.sessionId,
      fromUnixNano: step.startTimeUnixNano,
      toUnixNano: step.endTimeUnixNano === null ? undefined : step.endTimeUnixNano + 1n,
      limit: MAX_READ,
    })).items;
    for (const event of window) if (event.spanId === null && isUsageEvent(join, event)) found.push(event);
  }
  return found;
}

/** Stored model calls the event may report: the call of its span, else the latest of its session and model started before it. */
function* storedCallsFor(join: AgentUsageJoin, event: RawLogRecord): Reading<StoredSpan[]> {
  if (event.spanId !== null) {
    if (event.traceId === null) return [];
    return (yield* readSpans({ traceId: event.traceId, stepType: 'llm', limit: MAX_READ })).items.filter((s) => s.spanId === event.spanId);
  }
  const sessionId = logSessionKey(event);
  const model = (event.attributes as Record<string, unknown>)[join.modelKey];
  if (sessionId === null || typeof model !== 'string') return [];
  return (yield* readSpans({ sessionId, stepType: 'llm', model, toUnixNano: event.timeUnixNano + 1n, limit: MAX_CANDIDATE_CALLS })).items;
}

function idOf(span: { traceId: string; spanId: string }): string {
  return `${span.traceId}/${span.spanId}`;
}

function sameUsage(a: TokenUsage, b: TokenUsage): boolean {
  return (
    a.input === b.input &&
    a.output === b.output &&
    a.reasoning === b.reasoning &&
    a.cacheRead === b.cacheRead &&
    a.cacheWrite === b.cacheWrite &&
    a.total === b.total
  );
}
