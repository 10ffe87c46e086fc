/**
 * An agent's events that enrich the spans they belong to, when its traces are
 * on. Claude Code's `api_request` event carries the call's `cost_usd` and its
 * `assistant_response` the answer, which its `claude_code.llm_request` span
 * lacks; both name the span's `request_id`. Its `tool_result` event carries
 * the tool's full input and whether it succeeded, which its `claude_code.tool`
 * span lacks; both name the span's `tool_use_id`. The tool's result is on the
 * span itself, as its `tool.output` span event (with OTEL_LOG_TOOL_CONTENT=1).
 *
 * The span's tokens stay the only count: an event adds a supplied cost (which
 * then wins over a computed one), an answer (when the span has no output),
 * arguments (which replace the span's one-attribute summary of its input) and
 * a failure, never tokens. Each addition is a fixed function of the span and
 * its events, so enriching again, in any order, changes nothing.
 */
import type { RawLogRecord } from '../log-types.js';
import { toContentText } from '../truncate.js';
import type { Attributes, AttributeValue, SpanRecord } from '../types.js';
import type { CompiledAgent } from './agent-table.js';

/** What one kind of span gets from the events that name it. */
export interface AgentSpanEnrichment {
  /** The span name the events enrich. */
  spanName: string;
  /** The attribute the span and its events share. */
  joinKey: string;
  /** Attribute naming an event (Claude Code's `event.name`). */
  eventNameKey: string;
  /** Event name → the attribute with the call's cost in USD. */
  costs?: Readonly<Record<string, string>>;
  /** Event name → the attribute with the call's answer: the span's output when it has none. */
  outputs?: Readonly<Record<string, string>>;
  /** Event name → the attributes with the step's input (its arguments), the first present wins: the span's input. */
  inputs?: Readonly<Record<string, readonly string[]>>;
  /** Event name → the attribute that is `false` (or `"false"`) when the step failed. */
  successes?: Readonly<Record<string, string>>;
  /** Event name → the attribute with the failure's message. */
  errors?: Readonly<Record<string, string>>;
  /**
   * The span's own span events that hold its output: span event name → its
   * attributes with the output, the first present wins. Read when the span
   * has no output of its own.
   */
  spanEventOutputs?: Readonly<Record<string, readonly string[]>>;
}

interface EnrichmentKey {
  enrich: AgentSpanEnrichment;
  traceId: string;
  joinValue: string;
}

/** The agent's enrichments, whichever way its table holds them. */
function enrichmentsOf(agent: CompiledAgent | undefined): readonly AgentSpanEnrichment[] {
  return agent?.table.enrich ?? [];
}

/** Where a span's enriching events are: its trace and join value, or undefined when it is not such a span. */
export function spanEnrichmentKey(record: SpanRecord, agent: CompiledAgent | undefined): EnrichmentKey | undefined {
  const enrich = enrichmentsOf(agent).find((e) => e.spanName === record.name);
  if (enrich === undefined) return undefined;
  const joinValue = textOf(record.raw.attributes[enrich.joinKey]);
  return joinValue === undefined ? undefined : { enrich, traceId: record.traceId, joinValue };
}

/** The span an event enriches (its trace and join value), or undefined when the event enriches none. */
export function eventEnrichmentKey(event: RawLogRecord, agent: CompiledAgent | undefined): EnrichmentKey | undefined {
  if (event.traceId === null) return undefined;
  const attributes = attributesOf(event);
  for (const enrich of enrichmentsOf(agent)) {
    const name = textOf(attributes[enrich.eventNameKey]);
    if (name === undefined || !enriches(enrich, name)) continue;
    const joinValue = textOf(attributes[enrich.joinKey]);
    if (joinValue !== undefined) return { enrich, traceId: event.traceId, joinValue };
  }
  return undefined;
}

function enriches(enrich: AgentSpanEnrichment, name: string): boolean {
  return (
    enrich.costs?.[name] !== undefined ||
    enrich.outputs?.[name] !== undefined ||
    enrich.inputs?.[name] !== undefined ||
    enrich.successes?.[name] !== undefined
  );
}

/**
 * Adds what `events` say of `record` (those with its join value) and what its
 * own span events hold: a supplied cost, an answer or result as output when it
 * has none, arguments as input, a failure. Returns whether it changed.
 */
export function enrichSpan(record: SpanRecord, enrich: AgentSpanEnrichment, events: readonly RawLogRecord[], maxTextLength: number): boolean {
  const joinValue = textOf(record.raw.attributes[enrich.joinKey]);
  if (joinValue === undefined) return false;
  let changed = false;
  const setOutput = (text: string | undefined) => {
    if (text === undefined || record.output !== null) return;
    record.output = toContentText(text, maxTextLength, record.counts);
    changed = true;
  };
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
    setOutput(outputKey === undefined ? undefined : textOf(attributes[outputKey]));
    const input = firstText(attributes, enrich.inputs?.[name]);
    if (input !== undefined && record.input?.text !== cutTo(input, maxTextLength)) {
      record.input = toContentText(input, maxTextLength, record.counts);
      changed = true;
    }
    const successKey = enrich.successes?.[name];
    if (successKey !== undefined && failed(attributes[successKey])) {
      const errorKey = enrich.errors?.[name];
      const message = errorKey === undefined ? undefined : textOf(attributes[errorKey]);
      if (!record.isError || record.statusCode !== 2 || (message !== undefined && record.statusMessage === '')) {
        record.isError = true;
        record.statusCode = 2;
        if (message !== undefined && record.statusMessage === '') record.statusMessage = cutTo(message, maxTextLength);
        changed = true;
      }
    }
  }
  if (enrich.spanEventOutputs !== undefined && Array.isArray(record.raw.events)) {
    for (const spanEvent of record.raw.events) {
      const keys = spanEvent === null || typeof spanEvent !== 'object' ? undefined : enrich.spanEventOutputs[spanEvent.name];
      if (keys !== undefined) setOutput(firstText(typeof spanEvent.attributes === 'object' && spanEvent.attributes !== null ? spanEvent.attributes : {}, keys));
    }
  }
  return changed;
}

function attributesOf(event: RawLogRecord): Attributes {
  return typeof event.attributes === 'object' && event.attributes !== null ? event.attributes : {};
}

function firstText(attributes: Attributes, keys: readonly string[] | undefined): string | undefined {
  if (keys === undefined) return undefined;
  for (const key of keys) {
    const text = textOf(attributes[key]);
    if (text !== undefined) return text;
  }
  return undefined;
}

/** What `toContentText` keeps of `text`: compared before writing, so that a cut text is not "changed" again. */
function cutTo(text: string, maxTextLength: number): string {
  return toContentText(text, maxTextLength, { coerced: 0, dropped: 0, truncated: 0, redacted: 0 }).text;
}

function failed(value: AttributeValue | undefined): boolean {
  return value === false || (typeof value === 'string' && value.trim().toLowerCase() === 'false');
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
