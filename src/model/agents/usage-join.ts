/**
 * A model call's usage joined from the log event that reports it, for an
 * agent whose model-call spans carry only part of it: Gemini CLI's
 * `llm_call` spans have the input and visible output tokens, its
 * `gemini_cli.api_response` event every kind (cached and thought tokens
 * only there), mostly without trace context. Described as data in the
 * agent's table (`usageJoin`): which event, its token keys, the provider's
 * counting convention and its model key. The store joins them at ingest
 * (src/ingest/agent-usage-join.ts), whichever arrives first.
 *
 * An event reports the call whose span id it carries; one without a span id
 * reports the call of the same session and model whose span it falls in (an
 * agent logs it as the call ends, before the span closes). The event's
 * counts replace the span's kind by kind, never added: a call is counted
 * once however many of its signals carry it.
 */
import {
  ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS,
} from '../../semconv/gen-ai.js';
import { toTokenCount } from '../coerce.js';
import type { RawLogRecord } from '../log-types.js';
import { logSessionKey } from '../signal-sessions.js';
import type { Attributes, NormalizeCounts, SpanRecord, TokenUsage } from '../types.js';
import { tokenUsageFromProvider } from '../usage.js';
import type { TokenConventionName, TokenCountConvention } from '../usage.js';

/** The token kinds an event can report (`total` is the span's own, never joined). */
export type JoinedTokenKind = 'input' | 'output' | 'cacheRead' | 'cacheWrite' | 'reasoning';

export interface AgentUsageJoin {
  /** Attribute naming the event (Gemini CLI's `event.name`). */
  eventNameKey: string;
  /** The event that reports a model call's usage (`gemini_cli.api_response`). */
  eventName: string;
  /** The event's attribute with the call's model: matched when the event carries no span id. */
  modelKey: string;
  /** Token kind → the event's attribute with its count, as the provider reports it. */
  tokens: Readonly<Partial<Record<JoinedTokenKind, string>>>;
  /**
   * How the event's counts are meant (usage.ts; usually the table's `tokenConvention`): brought to
   * Skein's input-includes-cache, output-includes-reasoning.
   */
  convention: TokenConventionName | TokenCountConvention;
}

const ignored: NormalizeCounts = { coerced: 0, dropped: 0, truncated: 0, redacted: 0 };

function attributesOf(record: { attributes: unknown }): Attributes {
  const attributes = record.attributes;
  return typeof attributes === 'object' && attributes !== null ? (attributes as Attributes) : {};
}

/** Whether `record` is the join's usage event. */
export function isUsageEvent(join: AgentUsageJoin, record: RawLogRecord): boolean {
  return attributesOf(record)[join.eventNameKey] === join.eventName;
}

/** The call's usage as the event reports it, in Skein's convention. */
export function usageOfEvent(join: AgentUsageJoin, record: RawLogRecord): TokenUsage {
  const attributes = attributesOf(record);
  const counts: TokenUsage = {};
  for (const [kind, key] of Object.entries(join.tokens) as [JoinedTokenKind, string][]) {
    const count = toTokenCount(attributes[key], ignored);
    if (count !== undefined) counts[kind] = count;
  }
  return tokenUsageFromProvider(counts, join.convention);
}

/** Whether the usage event `record` reports the model call `step` (see the file's comment). */
export function matchesUsageEvent(join: AgentUsageJoin, step: SpanRecord, record: RawLogRecord): boolean {
  if (step.stepType !== 'llm' || !isUsageEvent(join, record)) return false;
  if (record.spanId !== null) return record.traceId === step.traceId && record.spanId === step.spanId;
  if (step.sessionId === null || logSessionKey(record) !== step.sessionId) return false;
  if (attributesOf(record)[join.modelKey] !== (step.responseModel ?? step.requestModel)) return false;
  const time = record.timeUnixNano;
  return time >= step.startTimeUnixNano && (step.endTimeUnixNano === null || time <= step.endTimeUnixNano);
}

/**
 * The call among `calls` that the usage event `record` reports: the one
 * whose span id it carries, else, of those it falls in (same session and
 * model), the one that ends first after it. The agent logs the event as its
 * call ends, so an event inside two calls at once (one of them longer) is
 * the earlier-ending one's, and a call whose own event never came (a failed
 * call) does not take another's.
 */
export function callOfUsageEvent(join: AgentUsageJoin, record: RawLogRecord, calls: Iterable<SpanRecord>): SpanRecord | undefined {
  let best: SpanRecord | undefined;
  for (const call of calls) {
    if (!matchesUsageEvent(join, call, record)) continue;
    if (record.spanId !== null) return call;
    if (best === undefined || endsFirst(call, best)) best = call;
  }
  return best;
}

function endsFirst(a: SpanRecord, b: SpanRecord): boolean {
  if (a.endTimeUnixNano !== b.endTimeUnixNano) {
    if (a.endTimeUnixNano === null) return false;
    if (b.endTimeUnixNano === null) return true;
    return a.endTimeUnixNano < b.endTimeUnixNano;
  }
  return a.traceId + a.spanId < b.traceId + b.spanId;
}

/**
 * The event among `events` that reports `step`: the one carrying its span
 * id, else the latest one that falls in it and, when `callsOf` names the
 * other calls an event may report, is `step`'s (`callOfUsageEvent`). The
 * same event stored twice is the same counts. Undefined when none is.
 */
export function usageEventFor(
  join: AgentUsageJoin,
  step: SpanRecord,
  events: Iterable<RawLogRecord>,
  callsOf?: (event: RawLogRecord) => Iterable<SpanRecord>,
): RawLogRecord | undefined {
  let best: RawLogRecord | undefined;
  for (const event of events) {
    if (!matchesUsageEvent(join, step, event)) continue;
    if (event.spanId !== null) return event;
    if (best !== undefined && event.timeUnixNano <= best.timeUnixNano) continue;
    if (callsOf !== undefined) {
      const owner = callOfUsageEvent(join, event, [step, ...callsOf(event)]);
      if (owner === undefined || owner.traceId !== step.traceId || owner.spanId !== step.spanId) continue;
    }
    best = event;
  }
  return best;
}

/** The step's usage with the event's: the event's count of each kind it reports, the span's otherwise; never the two added. */
export function joinEventUsage(spanUsage: TokenUsage, fromEvent: TokenUsage): TokenUsage {
  const joined: TokenUsage = { ...spanUsage };
  for (const kind of ['input', 'output', 'cacheRead', 'cacheWrite', 'reasoning'] as const) {
    const count = fromEvent[kind];
    if (count !== undefined) joined[kind] = count;
  }
  return joined;
}

const GEN_AI_USAGE_KEYS: Readonly<Record<JoinedTokenKind, string>> = {
  input: ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  output: ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  cacheRead: ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
  cacheWrite: ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS,
  reasoning: ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS,
};

/**
 * `usage` as OTel GenAI span attributes (whose convention Skein's is): what
 * the call's span would say had it carried every count, for the normalizer
 * to price the joined counts as it prices any span's.
 */
export function usageAttributes(usage: TokenUsage): Attributes {
  const attributes: Attributes = {};
  for (const [kind, key] of Object.entries(GEN_AI_USAGE_KEYS) as [JoinedTokenKind, string][]) {
    const count = usage[kind];
    if (count !== undefined) attributes[key] = count;
  }
  return attributes;
}
