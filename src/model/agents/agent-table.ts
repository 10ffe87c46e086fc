/**
 * An agent's mapping as data: how its spans and log records are recognised,
 * what its span names mean, which of its attribute keys hold the normalized
 * fields, and which of its log events make steps. Adding an agent is adding
 * one `AgentTable` to the registry (index.ts), not a code path.
 */
import { SLOTS } from '../dialect-slots.js';
import type { StepType } from '../types.js';
import type { TokenConventionName } from '../usage.js';
import type { AgentSpanEnrichment } from './enrich-steps.js';
import type { AgentUsageJoin } from './usage-join.js';

/** A normalized field an agent's attribute fills: a slot of dialect-slots.ts, by name. */
export type AgentSlot = keyof typeof SLOTS.slot;

/** What a step made from a log event is. */
export interface AgentEventStep {
  /** The span name the step gets: one of the agent's own span names, so `spanSteps` and `attributes` read it as a span. */
  spanName: string;
  /** `turn` steps are the parents of the other steps with the same turn key. */
  step: 'turn' | 'llm' | 'tool';
  /** An attribute the event must carry to make a step (Codex sends many `codex.sse_event`s; only one per call has its token counts). */
  when?: string;
}

/** How log events become steps when the agent sends no spans (see steps-from-events.ts). */
export interface AgentEventDerivation {
  /** Attribute naming the event (read before `LogRecord.event_name` and a string body). */
  eventNameKey: string;
  /** Attribute shared by every event of one turn (Claude Code's `prompt.id`). */
  turnKey: string;
  /** Attribute ordering events within a session (a sequence number); else the record's time orders. */
  orderKey?: string;
  /** Attribute with the step's duration in milliseconds; the event is taken to be sent when the step ended. */
  durationMsKey?: string;
  /** Attribute that is `false` (or `"false"`) when the step failed. */
  successKey?: string;
  /** Attribute with the failure's message. */
  errorKey?: string;
  /**
   * Events tied to a span make steps too. For an agent whose spans are never
   * its steps (`internalSpans`): otherwise the span is the step and the
   * event makes none, so nothing is counted twice.
   */
  withSpans?: boolean;
  /** Events that make a step, by name. */
  steps: Readonly<Record<string, AgentEventStep>>;
  /**
   * Events that carry a model call's answer, by name, with the attribute that
   * holds the text: joined to the model-call event with the same
   * `outputJoinKey` value, else to the nearest one before it in the same
   * turn, when both are in one request.
   */
  outputs?: Readonly<Record<string, string>>;
  /** The attribute key the joined answer is written under on the step (mapped to an output slot by `attributes`). */
  outputKey?: string;
  /** Attribute an answer event shares with its model-call event (Claude Code's `request_id`): joins them exactly. */
  outputJoinKey?: string;
}

export interface AgentTable {
  /** The name sessions and steps show (`SpanRecord.agentName`): `claude-code`, `codex`, `gemini-cli`. */
  name: string;
  /** Resource `service.name` values that identify the agent. */
  serviceNames: readonly string[];
  /** Instrumentation scope name prefixes that identify it. */
  scopePrefixes: readonly string[];
  /** Span name (or event body) prefixes that identify it. */
  namePrefixes: readonly string[];
  /** Span name → step type. Names not listed keep what their attributes say. */
  spanSteps: Readonly<Record<string, StepType>>;
  /**
   * Its spans not named in `spanSteps` are its plumbing (Codex's hundreds of
   * internal spans): kept as they arrived, step type `other` and marked
   * `internal`, neither steps of the timeline nor sessions of the default list.
   */
  internalSpans?: boolean;
  /**
   * The agent's attribute keys → the normalized field they fill. Read only
   * on the agent's own records, and only where no dialect attribute filled
   * the field: a generic key such as `model` means nothing elsewhere.
   */
  attributes: Readonly<Record<string, AgentSlot>>;
  /**
   * How the token counts its own attributes carry are meant (the provider's
   * convention, defined once in usage.ts): brought to Skein's by
   * `tokenUsageFromProvider` where they are read. Claude Code's `input_tokens`
   * leaves the cache out (`anthropic`), Codex's includes it (`openai`).
   */
  tokenConvention: TokenConventionName;
  /** The provider its model calls go to, when no attribute names one. */
  provider?: string;
  /** Log event name → what it means (documentation and the event feed; steps come from `derive`). */
  events: Readonly<Record<string, string>>;
  /** How its log events become steps; absent when it always sends spans. */
  derive?: AgentEventDerivation;
  /** How its events enrich its spans when its traces are on (enrich-steps.ts): one entry per span kind. */
  enrich?: readonly AgentSpanEnrichment[];
  /** Which log event completes a model call's usage its span lacks, and how it is read (usage-join.ts). */
  usageJoin?: AgentUsageJoin;
}

/** A table with its lookups built once. */
export interface CompiledAgent {
  readonly table: AgentTable;
  readonly name: string;
  /** Attribute key → slot number. */
  readonly slotByKey: ReadonlyMap<string, number>;
  readonly spanSteps: ReadonlyMap<string, StepType>;
}

export function compileAgent(table: AgentTable): CompiledAgent {
  const slotByKey = new Map<string, number>();
  for (const [key, slotName] of Object.entries(table.attributes)) {
    const slot = SLOTS.slot[slotName];
    if (slot === undefined) throw new Error(`agent ${table.name}: ${key} maps to unknown field ${slotName}`);
    slotByKey.set(key, slot);
  }
  return { table, name: table.name, slotByKey, spanSteps: new Map(Object.entries(table.spanSteps)) };
}
