/**
 * OTel GenAI events (model/genai-events.ts) as the conversation of the model call they point at (trace id
 * and span id), across requests: an instrumentation exports its spans and its events separately, in
 * either order. Run inside the commit's transaction, for every trace the batch touches with a GenAI
 * event or with a model call lacking content:
 * - the trace's events are read from the batch and the store, grouped by span, and its calls put in the
 *   order they were made (their first event);
 * - each call's conversation becomes its input and output, the input without the messages it re-sends
 *   from the previous call (in the trace; for the trace's first call, the latest earlier model call of
 *   its session);
 * - a call of this batch is given it in place; a call already stored is re-normalized from the raw span
 *   the store kept, given it, and written again (an upsert) when its text changed.
 * A span's own content (its `gen_ai.input.messages`…) wins: events fill only what it lacks.
 */
import { conversationContent, conversationFromEvents, distinctEvents, isGenAiEvent } from '../model/genai-events.js';
import type { GenAiConversation } from '../model/genai-events.js';
import type { RawLogRecord } from '../model/log-types.js';
import { DEFAULT_MAX_TEXT_LENGTH } from '../model/normalize.js';
import type { ContentText, RawSpan, SpanRecord, StoredSpan } from '../model/types.js';
import { readHasTraceLogs, readLogs, readSpans } from './commit-reads.js';
import type { Reading } from './commit-reads.js';

/** Log records of one trace read at most (pages of 1,000): a conversation re-sent with each call grows fast. */
const MAX_TRACE_RECORDS = 20_000;
const PAGE = 1000;
/** Model calls of one trace read at most. */
const MAX_TRACE_CALLS = 1000;

interface Call {
  spanId: string;
  conversation: GenAiConversation;
  /** When its first event was emitted: the order calls were made. */
  at: bigint;
}

/** A model call that is a step (an agent's plumbing is not given a conversation). */
const isCall = (record: SpanRecord): boolean => record.stepType === 'llm' && record.internal !== true;

/** Gives the calls of `records` their conversation in place; returns the stored calls to write again. */
export function* attachGenAiConversations(
  records: readonly SpanRecord[],
  logs: readonly RawLogRecord[],
  normalize: (raw: RawSpan) => SpanRecord,
  maxTextLength: number = DEFAULT_MAX_TEXT_LENGTH,
): Reading<SpanRecord[]> {
  const batchEvents = new Map<string, RawLogRecord[]>();
  for (const log of logs) {
    if (log.traceId === null || log.spanId === null || !isGenAiEvent(log)) continue;
    let list = batchEvents.get(log.traceId);
    if (list === undefined) batchEvents.set(log.traceId, (list = []));
    list.push(log);
  }
  // Every record of a call is given its conversation (an open one and its end may share a batch); a
  // trace is read only for its events in this batch, or for an ended call lacking content.
  const traceIds = new Set(batchEvents.keys());
  for (const record of records) {
    if (isCall(record) && record.endTimeUnixNano !== null && (record.input === null || record.output === null)) {
      traceIds.add(record.traceId);
    }
  }
  // The usual batch (no events, every call with its content) is done: the maps below are not built for it.
  if (traceIds.size === 0) return [];
  const batchCalls = new Map<string, Map<string, SpanRecord[]>>();
  /** The session a trace's spans of this batch name (a call often inherits its root's). */
  const batchSessions = new Map<string, string>();
  for (const record of records) {
    if (record.sessionId !== null && !batchSessions.has(record.traceId)) batchSessions.set(record.traceId, record.sessionId);
    if (!isCall(record)) continue;
    let calls = batchCalls.get(record.traceId);
    if (calls === undefined) batchCalls.set(record.traceId, (calls = new Map()));
    const same = calls.get(record.spanId);
    if (same === undefined) calls.set(record.spanId, [record]);
    else same.push(record);
  }

  const again: SpanRecord[] = [];
  /** The last call given its conversation in this batch, by session: the previous call of a later trace. */
  const latestBySession = new Map<string, { at: bigint; conversation: GenAiConversation }>();
  const traces: { traceId: string; calls: Call[] }[] = [];
  for (const traceId of traceIds) {
    const events = distinctEvents([...(yield* storedEvents(traceId)), ...(batchEvents.get(traceId) ?? [])]);
    traces.push({ traceId, calls: callsOf(events) });
  }
  traces.sort((a, b) => compare(a.calls[0]?.at, b.calls[0]?.at));
  for (const { traceId, calls } of traces) {
    if (calls.length === 0) continue;
    const inBatch = batchCalls.get(traceId);
    let storedCalls: Map<string, StoredSpan> | undefined;
    let previous: GenAiConversation | null = null;
    let traceSession: string | null | undefined;
    for (const [i, call] of calls.entries()) {
      const own = inBatch?.get(call.spanId);
      const record = own?.[own.length - 1];
      if (record === undefined && storedCalls === undefined) {
        const page = yield* readSpans({ traceId, stepType: 'llm', limit: MAX_TRACE_CALLS });
        storedCalls = new Map(page.items.map((span) => [span.spanId, span]));
      }
      const stored = record === undefined ? storedCalls?.get(call.spanId) : undefined;
      const target = record ?? stored;
      if (target === undefined) {
        // Its span has not arrived: it is still the previous call of the next one.
        previous = call.conversation;
        continue;
      }
      // The trace's session: read from the store at most once per trace (a call inheriting it, none in the batch naming it).
      if (stored === undefined && record?.sessionId == null && !batchSessions.has(traceId) && traceSession === undefined) {
        traceSession = yield* storedSession(traceId);
      }
      const session = stored?.resolvedSessionId ?? record?.sessionId ?? batchSessions.get(traceId) ?? traceSession ?? null;
      if (i === 0) previous = yield* previousInSession(session, traceId, target.startTimeUnixNano, latestBySession);
      if (own !== undefined) {
        for (const r of own) fill(r, call.conversation, previous, maxTextLength);
      } else if (stored !== undefined && !holds(stored, call.conversation, previous, maxTextLength)) {
        const fresh = normalize(stored.raw);
        fill(fresh, call.conversation, previous, maxTextLength);
        if (!sameText(fresh.input, stored.input) || !sameText(fresh.output, stored.output) || !sameText(fresh.reasoning, stored.reasoning)) {
          again.push(fresh);
        }
      }
      previous = call.conversation;
      if (session !== null) {
        const latest = latestBySession.get(session);
        if (latest === undefined || latest.at <= target.startTimeUnixNano) {
          latestBySession.set(session, { at: target.startTimeUnixNano, conversation: call.conversation });
        }
      }
    }
  }
  return again;
}

/** The session the trace's stored spans resolved to, null when none is stored. */
function* storedSession(traceId: string): Reading<string | null> {
  return (yield* readSpans({ traceId, limit: 1 })).items[0]?.resolvedSessionId ?? null;
}

/** The trace's GenAI events tied to a span, as stored (time order, then arrival). */
function* storedEvents(traceId: string): Reading<RawLogRecord[]> {
  const out: RawLogRecord[] = [];
  // Most traces read here have none (a model call without content, from an app that logs no events).
  if (!(yield* readHasTraceLogs(traceId))) return out;
  let cursor: string | undefined;
  for (let read = 0; read < MAX_TRACE_RECORDS; read += PAGE) {
    const page = yield* readLogs({ traceId, limit: PAGE, cursor });
    for (const log of page.items) if (log.spanId !== null && isGenAiEvent(log)) out.push(log);
    if (page.nextCursor === null || page.nextCursor === undefined) break;
    cursor = page.nextCursor;
  }
  return out;
}

/** The calls of one trace's events, in the order they were made. */
function callsOf(events: readonly RawLogRecord[]): Call[] {
  const bySpan = new Map<string, RawLogRecord[]>();
  for (const event of events) {
    const spanId = event.spanId as string;
    let list = bySpan.get(spanId);
    if (list === undefined) bySpan.set(spanId, (list = []));
    list.push(event);
  }
  const calls: Call[] = [];
  for (const [spanId, list] of bySpan) {
    const conversation = conversationFromEvents(list);
    if (conversation === null) continue;
    let at: bigint | undefined;
    for (const event of list) {
      const time = event.timeUnixNano > 0n ? event.timeUnixNano : event.observedTimeUnixNano;
      if (at === undefined || time < at) at = time;
    }
    calls.push({ spanId, conversation, at: at ?? 0n });
  }
  return calls.sort((a, b) => compare(a.at, b.at));
}

/**
 * The conversation of the latest model call of `session` before `start` in another trace: one given its
 * conversation earlier in this batch, or a stored one (read from its stored events).
 */
function* previousInSession(
  session: string | null,
  traceId: string,
  start: bigint,
  latestBySession: ReadonlyMap<string, { at: bigint; conversation: GenAiConversation }>,
): Reading<GenAiConversation | null> {
  if (session === null) return null;
  const inBatch = latestBySession.get(session);
  const earlier = inBatch !== undefined && inBatch.at < start ? inBatch : undefined;
  const before = (yield* readSpans({ sessionId: session, stepType: 'llm', toUnixNano: start, limit: 10 })).items.find((s) => s.traceId !== traceId);
  if (before !== undefined && (earlier === undefined || earlier.at < before.startTimeUnixNano)) {
    const events = (yield* readLogs({ traceId: before.traceId, spanId: before.spanId, limit: PAGE })).items.filter(isGenAiEvent);
    const conversation = conversationFromEvents(distinctEvents(events));
    if (conversation !== null) return conversation;
  }
  return earlier?.conversation ?? null;
}

/** The call's input, output and reasoning from its conversation, where the span gave none. */
function fill(record: SpanRecord, conversation: GenAiConversation, previous: GenAiConversation | null, maxTextLength: number): void {
  if (record.input !== null && record.output !== null) return;
  const content = conversationContent(conversation, previous, maxTextLength, record.counts);
  record.input ??= content.input;
  if (record.output === null) {
    record.output = content.output;
    record.reasoning ??= content.reasoning;
  }
}

/** Whether the stored call already holds what its conversation gives (a resent request, or the span's own content said the same): no need to normalize it again. */
function holds(stored: StoredSpan, conversation: GenAiConversation, previous: GenAiConversation | null, maxTextLength: number): boolean {
  const content = conversationContent(conversation, previous, maxTextLength, { coerced: 0, dropped: 0, truncated: 0, redacted: 0 });
  return (
    sameText(content.input, stored.input) &&
    sameText(content.output, stored.output) &&
    (content.reasoning === null || sameText(content.reasoning, stored.reasoning))
  );
}

function sameText(a: ContentText | null, b: ContentText | null): boolean {
  return a === null || b === null ? a === b : a.text === b.text && a.originalLength === b.originalLength;
}

function compare(a: bigint | undefined, b: bigint | undefined): number {
  if (a === undefined || b === undefined) return a === b ? 0 : a === undefined ? 1 : -1;
  return a < b ? -1 : a > b ? 1 : 0;
}
