/**
 * An agent's events that enrich the spans they belong to, when its traces are
 * on: Claude Code's `api_request` event carries the call's `cost_usd` and its
 * `assistant_response` the answer, which its `claude_code.llm_request` span
 * lacks; both name the span's `request_id`. The span's tokens stay the only
 * count: an event adds its supplied cost (which then wins over a computed
 * one) and its answer (when the span has no output), never tokens.
 */
import type { RawLogRecord } from '../log-types.js';
import { toContentText } from '../truncate.js';
import type { Attributes, AttributeValue, SpanRecord } from '../types.js';
import type { CompiledAgent } from './agent-table.js';

export interface AgentSpanEnrichment {
  /** The span name the events enrich. */
  spanName: string;
  /** The attribute the span and its events share. */
  joinKey: string;
  /** Attribute naming an event (Claude Code's `event.name`). */
  eventNameKey: string;
  /** Event name → the attribute with the call's cost in USD. */
  costs?: Readonly<Record<string, string>>;
  /** Event name → the attribute with the call's answer. */
  outputs?: Readonly<Record<string, string>>;
}

/** Where a span's enriching events are: its trace and join value, or undefined when it is not such a span. */
export function spanEnrichmentKey(
  record: SpanRecord,
  agent: CompiledAgent | undefined,
): { enrich: AgentSpanEnrichment; traceId: string; joinValue: string } | undefined {
  const enrich = agent?.table.enrich;
  if (enrich === undefined || record.name !== enrich.spanName) return undefined;
  const joinValue = textOf(record.raw.attributes[enrich.joinKey]);
  return joinValue === undefined ? undefined : { enrich, traceId: record.traceId, joinValue };
}

/** The span an event enriches (its trace and join value), or undefined when the event enriches none. */
export function eventEnrichmentKey(
  event: RawLogRecord,
  agent: CompiledAgent | undefined,
): { enrich: AgentSpanEnrichment; traceId: string; joinValue: string } | undefined {
  const enrich = agent?.table.enrich;
  if (enrich === undefined || event.traceId === null) return undefined;
  const attributes = attributesOf(event);
  const name = textOf(attributes[enrich.eventNameKey]);
  if (name === undefined || (enrich.costs?.[name] === undefined && enrich.outputs?.[name] === undefined)) return undefined;
  const joinValue = textOf(attributes[enrich.joinKey]);
  return joinValue === undefined ? undefined : { enrich, traceId: event.traceId, joinValue };
}

/**
 * Adds what `events` say of `record` (those with its join value): a supplied
 * cost, an answer as output when it has none. Returns whether it changed.
 */
export function enrichSpan(record: SpanRecord, enrich: AgentSpanEnrichment, events: readonly RawLogRecord[], maxTextLength: number): boolean {
  const joinValue = textOf(record.raw.attributes[enrich.joinKey]);
  if (joinValue === undefined) return false;
  let changed = false;
  for (const event of events) {
    const attributes = attributesOf(event);
    if (textOf(attributes[enrich.joinKey]) !== joinValue) continue;
    const name = textOf(attributes[enrich.eventNameKey]);
    if (name === undefined) continue;
    const costKey = enrich.costs?.[name];
    const usd = costKey === undefined ? undefined : amount(attributes[costKey]);
    if (usd !== undefined && (record.cost?.source !== 'supplied' || record.cost.usd !== usd)) {
      record.cost = { usd, source: 'supplied' };
      record.unpriced = false;
      changed = true;
    }
    const outputKey = enrich.outputs?.[name];
    const text = outputKey === undefined ? undefined : textOf(attributes[outputKey]);
    if (text !== undefined && record.output === null) {
      record.output = toContentText(text, maxTextLength, record.counts);
      changed = true;
    }
  }
  return changed;
}

function attributesOf(event: RawLogRecord): Attributes {
  return typeof event.attributes === 'object' && event.attributes !== null ? event.attributes : {};
}

function textOf(value: AttributeValue | undefined): string | undefined {
  if (typeof value === 'string') return value.length > 0 ? value : undefined;
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  return undefined;
}

function amount(value: AttributeValue | undefined): number | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}
