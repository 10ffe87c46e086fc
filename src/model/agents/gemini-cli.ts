/**
 * Gemini CLI (`@google/gemini-cli`) as a table. Each model call is its own
 * trace (`llm_call`, `gen_ai.usage.*` input and output tokens), each tool
 * batch another (`schedule_tool_calls` → `tool_call`); the spans carry
 * `gen_ai.conversation.id` and their resource `session.id`, the session.
 * Spans are named after their `gen_ai.operation.name`, whose values
 * (`llm_call`, `tool_call`) are Gemini CLI's own, not the GenAI
 * convention's: the table maps them.
 *
 * The cache and thought (reasoning) tokens of a call are only on its
 * `gemini_cli.api_response` log event, mostly sent without trace context:
 * the table's `usageJoin` says how the store joins them (once) to the
 * call's step at ingest (usage-join.ts); `responseUsage` and
 * `matchesResponse` are that join for Gemini CLI alone.
 */
import {
  ATTR_GEMINI_CLI_CACHED_CONTENT_TOKEN_COUNT,
  ATTR_GEMINI_CLI_EVENT_NAME,
  ATTR_GEMINI_CLI_FUNCTION_ARGS,
  ATTR_GEMINI_CLI_FUNCTION_NAME,
  ATTR_GEMINI_CLI_INPUT_TOKEN_COUNT,
  ATTR_GEMINI_CLI_MODEL,
  ATTR_GEMINI_CLI_OUTPUT_TOKEN_COUNT,
  ATTR_GEMINI_CLI_PROMPT,
  ATTR_GEMINI_CLI_PROMPT_ID,
  ATTR_GEMINI_CLI_THOUGHTS_TOKEN_COUNT,
  GEMINI_CLI_EVENT_API_ERROR,
  GEMINI_CLI_EVENT_API_REQUEST,
  GEMINI_CLI_EVENT_API_RESPONSE,
  GEMINI_CLI_EVENT_CONFIG,
  GEMINI_CLI_EVENT_MODEL_ROUTING,
  GEMINI_CLI_EVENT_PREFIX,
  GEMINI_CLI_EVENT_TOOL_CALL,
  GEMINI_CLI_EVENT_USER_PROMPT,
  GEMINI_CLI_SCOPE_NAME,
  GEMINI_CLI_SERVICE_NAME,
  GEMINI_CLI_SPAN_AGENT_CALL,
  GEMINI_CLI_SPAN_LLM_CALL,
  GEMINI_CLI_SPAN_SCHEDULE_TOOL_CALLS,
  GEMINI_CLI_SPAN_TOOL_CALL,
  GEMINI_CLI_SPAN_USER_PROMPT,
} from '../../semconv/gemini-cli.js';
import type { RawLogRecord } from '../log-types.js';
import type { SpanRecord, TokenUsage } from '../types.js';
import type { TokenConventionName } from '../usage.js';
import type { AgentTable } from './agent-table.js';
import { isUsageEvent, joinEventUsage, matchesUsageEvent, usageOfEvent } from './usage-join.js';
import type { AgentUsageJoin } from './usage-join.js';

/**
 * How its counts are meant, on its spans and its events alike (usage.ts):
 * Gemini's prompt count includes the cached tokens, its candidates count
 * leaves the thoughts out (they are added to output).
 */
const TOKEN_CONVENTION: TokenConventionName = 'gemini';

/** Its calls' usage from their `gemini_cli.api_response` events, the only place with the cached and thought tokens. */
const USAGE_JOIN: AgentUsageJoin = {
  eventNameKey: ATTR_GEMINI_CLI_EVENT_NAME,
  eventName: GEMINI_CLI_EVENT_API_RESPONSE,
  modelKey: ATTR_GEMINI_CLI_MODEL,
  tokens: {
    input: ATTR_GEMINI_CLI_INPUT_TOKEN_COUNT,
    output: ATTR_GEMINI_CLI_OUTPUT_TOKEN_COUNT,
    cacheRead: ATTR_GEMINI_CLI_CACHED_CONTENT_TOKEN_COUNT,
    reasoning: ATTR_GEMINI_CLI_THOUGHTS_TOKEN_COUNT,
  },
  convention: TOKEN_CONVENTION,
};

export const GEMINI_CLI: AgentTable = {
  name: GEMINI_CLI_SERVICE_NAME,
  serviceNames: [GEMINI_CLI_SERVICE_NAME],
  scopePrefixes: [GEMINI_CLI_SCOPE_NAME],
  namePrefixes: [GEMINI_CLI_EVENT_PREFIX],
  usageJoin: USAGE_JOIN,
  spanSteps: {
    [GEMINI_CLI_SPAN_USER_PROMPT]: 'turn',
    [GEMINI_CLI_SPAN_LLM_CALL]: 'llm',
    [GEMINI_CLI_SPAN_TOOL_CALL]: 'tool',
    [GEMINI_CLI_SPAN_SCHEDULE_TOOL_CALLS]: 'other',
    [GEMINI_CLI_SPAN_AGENT_CALL]: 'agent',
  },
  // Its spans use the GenAI keys; these are its events' (read were an event made a step).
  attributes: {
    [ATTR_GEMINI_CLI_MODEL]: 'requestModelGenAi',
    [ATTR_GEMINI_CLI_FUNCTION_NAME]: 'toolNameGenAi',
    [ATTR_GEMINI_CLI_FUNCTION_ARGS]: 'toolArguments',
    [ATTR_GEMINI_CLI_PROMPT]: 'inputValue',
  },
  tokenConvention: TOKEN_CONVENTION,
  provider: 'gcp.gemini',
  events: {
    [GEMINI_CLI_EVENT_CONFIG]: 'the CLI started: its settings',
    [GEMINI_CLI_EVENT_USER_PROMPT]: 'the user submitted a prompt',
    [GEMINI_CLI_EVENT_MODEL_ROUTING]: 'the router chose the model of the next call',
    [GEMINI_CLI_EVENT_API_REQUEST]: 'a model call started: model, request text',
    [GEMINI_CLI_EVENT_API_RESPONSE]: 'a model call finished: every token kind (cached and thoughts only here), duration, response text',
    [GEMINI_CLI_EVENT_API_ERROR]: 'a model call failed',
    [GEMINI_CLI_EVENT_TOOL_CALL]: 'a tool call finished: name, arguments, decision, success, duration',
  },
  // Its prompt is an event only (no span): the turn step comes from it, in a trace of its own; the calls
  // after it (each in its own trace) are not its children, the viewer puts them in the latest turn before them.
  derive: {
    eventNameKey: ATTR_GEMINI_CLI_EVENT_NAME,
    turnKey: ATTR_GEMINI_CLI_PROMPT_ID,
    // Event names are matched without the prefix (`namePrefixes`).
    steps: { [GEMINI_CLI_EVENT_USER_PROMPT.slice(GEMINI_CLI_EVENT_PREFIX.length)]: { spanName: GEMINI_CLI_SPAN_USER_PROMPT, step: 'turn' } },
  },
};

/** Whether `record` is a `gemini_cli.api_response` event. */
export function isApiResponse(record: RawLogRecord): boolean {
  return isUsageEvent(USAGE_JOIN, record);
}

/**
 * A call's usage as its `gemini_cli.api_response` event reports it, in
 * Skein's convention: input includes the cached tokens (as Gemini's
 * `promptTokenCount` does) and output includes the thought tokens (which
 * Gemini's `candidatesTokenCount` leaves out: they are added).
 */
export function responseUsage(record: RawLogRecord): TokenUsage {
  return usageOfEvent(USAGE_JOIN, record);
}

/**
 * Whether the `gemini_cli.api_response` event `record` reports the model
 * call `step`: by span id when the event has one (Gemini CLI sends it for
 * some calls only), else by session, model and time (the event is logged
 * when the call ends, before its span closes).
 */
export function matchesResponse(step: SpanRecord, record: RawLogRecord): boolean {
  return matchesUsageEvent(USAGE_JOIN, step, record);
}

/**
 * The step's usage once its event is joined: the event's counts where it
 * has them (it has every kind), the span's otherwise; never the two added.
 */
export function joinResponseUsage(step: SpanRecord, record: RawLogRecord): TokenUsage {
  return joinEventUsage(step.usage, responseUsage(record));
}
