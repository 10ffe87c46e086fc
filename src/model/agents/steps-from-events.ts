/**
 * Steps made from an agent's log events when it sends no spans (Claude Code
 * by default): each step-making event (its table's `derive.steps`) becomes a
 * `RawSpan` that the normal span write stores, so rollups, the sessions list,
 * budgets, search and the live stream see it as any step.
 *
 * - Ids are deterministic: the trace id from the session key, a turn's span
 *   id from session + turn key, any other step's from session + turn key +
 *   the event's sequence (else its time) + its name. A replayed request
 *   writes the same steps again (the store upserts), so it counts once.
 * - A step that is not a turn is the child of its turn (same turn key), even
 *   when the turn's own event comes in another request.
 * - An event tied to a span (it has a trace id: the agent's traces are on)
 *   makes no step: that span is the step and carries the tokens, which must
 *   not be counted twice.
 * - The step carries the event's attributes (read by the agent's table as
 *   its span's would be), `skein.derived_from = log`, and the session key.
 * - An answer event (`derive.outputs`) becomes the output of the nearest
 *   model-call step before it in the same turn, when both are in the records
 *   given; otherwise it stays an event only.
 */
import { createHash } from 'node:crypto';
import { resolveEventName } from '../event-name.js';
import type { RawLogRecord } from '../log-types.js';
import { logSessionKey } from '../signal-sessions.js';
import type { AttributeValue, Attributes, RawSpan } from '../types.js';
import type { AgentEventDerivation, CompiledAgent } from './agent-table.js';

/** Marks a step Skein made from another signal; the value names the signal. */
export const ATTR_SKEIN_DERIVED_FROM = 'skein.derived_from';
export const DERIVED_FROM_LOG = 'log';

const SESSION_ID = 'session.id';
const NANOS_PER_MS = 1_000_000;

interface Derived {
  span: RawSpan;
  step: 'turn' | 'llm' | 'tool';
  /** session + turn key, '' when the event has no turn key. */
  turnKey: string;
  rank: bigint;
}

export function deriveSteps(
  records: readonly RawLogRecord[],
  agentFor: (record: RawLogRecord) => CompiledAgent | undefined,
): RawSpan[] {
  const derived: Derived[] = [];
  const answers: Answer[] = [];
  for (const record of records) {
    const agent = agentFor(record);
    const derive = agent?.table.derive;
    if (agent === undefined || derive === undefined) continue;
    if (record.traceId !== null && derive.withSpans !== true) continue;
    const session = logSessionKey(record);
    if (session === null) continue;
    const attributes: Attributes = typeof record.attributes === 'object' && record.attributes !== null ? record.attributes : {};
    const name = eventName(record, derive, agent.table.namePrefixes);
    if (name === undefined) continue;
    const turn = textOf(attributes[derive.turnKey]);
    const turnKey = turn === undefined ? '' : `${session}\0${turn}`;
    const time = record.timeUnixNano > 0n ? record.timeUnixNano : record.observedTimeUnixNano;
    const order = derive.orderKey === undefined ? undefined : textOf(attributes[derive.orderKey]);
    const rank = rankOf(order, time);
    const answerKey = derive.outputs?.[name];
    if (answerKey !== undefined) {
      const value = attributes[answerKey];
      if (value !== undefined && value !== null && derive.outputKey !== undefined) {
        const joinValue = derive.outputJoinKey === undefined ? undefined : textOf(attributes[derive.outputJoinKey]);
        answers.push({ turnKey, rank, key: derive.outputKey, value, joinKey: derive.outputJoinKey, joinValue });
      }
      continue;
    }
    const spec = derive.steps[name];
    if (spec === undefined) continue;
    if (spec.when !== undefined && (attributes[spec.when] === undefined || attributes[spec.when] === null)) continue;

    const traceId = hash(`trace\0${session}`, 32);
    const turnSpanId = turn === undefined ? null : hash(`turn\0${session}\0${turn}`, 16);
    const spanId =
      spec.step === 'turn' && turnSpanId !== null
        ? turnSpanId
        : hash(`step\0${session}\0${turn ?? ''}\0${order ?? String(time)}\0${name}`, 16);
    const durationMs = derive.durationMsKey === undefined ? undefined : millis(attributes[derive.durationMsKey]);
    const start = durationMs === undefined ? time : time - BigInt(Math.round(durationMs * NANOS_PER_MS));
    const failed = derive.successKey !== undefined && isFalse(attributes[derive.successKey]);
    const error = failed && derive.errorKey !== undefined ? textOf(attributes[derive.errorKey]) : undefined;
    const spanAttributes: Attributes = { ...attributes, [ATTR_SKEIN_DERIVED_FROM]: DERIVED_FROM_LOG };
    if (!Object.hasOwn(spanAttributes, SESSION_ID)) spanAttributes[SESSION_ID] = session;
    derived.push({
      step: spec.step,
      turnKey,
      rank,
      span: {
        traceId,
        spanId,
        parentSpanId: spec.step === 'turn' ? null : turnSpanId,
        traceState: '',
        flags: 0,
        name: spec.spanName,
        kind: spec.step === 'llm' ? 3 : 1,
        startTimeUnixNano: start < 0n ? 0n : start,
        endTimeUnixNano: time,
        attributes: spanAttributes,
        droppedAttributesCount: 0,
        events: [],
        droppedEventsCount: 0,
        links: [],
        droppedLinksCount: 0,
        statusCode: failed ? 2 : 0,
        statusMessage: error ?? '',
        resource: record.resource,
        scope: record.scope,
      },
    });
  }
  for (const answer of answers) joinAnswer(derived, answer);
  stretchTurns(derived);
  return derived.map((d) => d.span);
}

interface Answer {
  turnKey: string;
  rank: bigint;
  /** Where the text goes on the step. */
  key: string;
  value: AttributeValue;
  joinKey: string | undefined;
  joinValue: string | undefined;
}

/**
 * The model call with the answer's join value gets its text; without one, the nearest model call before
 * the answer in its turn (else the nearest after) that has no answer yet.
 */
function joinAnswer(derived: Derived[], answer: Answer): void {
  if (answer.joinKey !== undefined && answer.joinValue !== undefined) {
    for (const d of derived) {
      if (d.step !== 'llm' || textOf(d.span.attributes[answer.joinKey]) !== answer.joinValue) continue;
      if (!Object.hasOwn(d.span.attributes, answer.key)) d.span.attributes[answer.key] = answer.value;
      return;
    }
  }
  if (answer.turnKey === '') return;
  let best: Derived | undefined;
  for (const d of derived) {
    if (d.step !== 'llm' || d.turnKey !== answer.turnKey || Object.hasOwn(d.span.attributes, answer.key)) continue;
    if (answer.joinKey !== undefined && answer.joinValue !== undefined && d.span.attributes[answer.joinKey] !== undefined) continue;
    if (best === undefined) best = d;
    else if (d.rank <= answer.rank && (best.rank > answer.rank || d.rank > best.rank)) best = d;
    else if (d.rank > answer.rank && best.rank > answer.rank && d.rank < best.rank) best = d;
  }
  if (best !== undefined) best.span.attributes[answer.key] = answer.value;
}

/** A turn lasts until the last of its steps given here ends. */
function stretchTurns(derived: Derived[]): void {
  const ends = new Map<string, bigint>();
  for (const d of derived) {
    if (d.step === 'turn' || d.turnKey === '' || d.span.endTimeUnixNano === null) continue;
    const end = ends.get(d.turnKey);
    if (end === undefined || d.span.endTimeUnixNano > end) ends.set(d.turnKey, d.span.endTimeUnixNano);
  }
  for (const d of derived) {
    if (d.step !== 'turn') continue;
    const end = ends.get(d.turnKey);
    if (end !== undefined && d.span.endTimeUnixNano !== null && end > d.span.endTimeUnixNano) d.span.endTimeUnixNano = end;
  }
}

/** The event's name (event-name.ts, `derive.eventNameKey` read first), its agent prefix removed. */
function eventName(record: RawLogRecord, derive: AgentEventDerivation, prefixes: readonly string[]): string | undefined {
  const name = resolveEventName(record, derive.eventNameKey);
  if (name === undefined) return undefined;
  for (const prefix of prefixes) if (name.startsWith(prefix)) return name.slice(prefix.length);
  return name;
}

function textOf(value: AttributeValue | undefined): string | undefined {
  if (typeof value === 'string') return value.length > 0 ? value : undefined;
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  return undefined;
}

/** An integer sequence orders; else the event's time. */
function rankOf(order: string | undefined, time: bigint): bigint {
  if (order !== undefined && /^\d{1,18}$/.test(order)) return BigInt(order);
  return time;
}

function millis(value: AttributeValue | undefined): number | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : typeof value === 'bigint' ? Number(value) : NaN;
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

function isFalse(value: AttributeValue | undefined): boolean {
  return value === false || (typeof value === 'string' && value.toLowerCase() === 'false');
}

function hash(text: string, hexLength: number): string {
  return createHash('sha256').update(text).digest('hex').slice(0, hexLength);
}
