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
 * `gemini_cli.api_response` log event: `responseUsage` reads them and
 * `matchesResponse` says which call an event belongs to, for the store to
 * join them (once) to the call's step.
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
import { toTokenCount } from '../coerce.js';
import type { RawLogRecord } from '../log-types.js';
import { logSessionKey } from '../signal-sessions.js';
import type { NormalizeCounts, SpanRecord, TokenUsage } from '../types.js';
import { tokenUsageFromProvider } from '../usage.js';
import type { AgentTable } from './agent-table.js';

export const GEMINI_CLI: AgentTable = {
  name: GEMINI_CLI_SERVICE_NAME,
  serviceNames: [GEMINI_CLI_SERVICE_NAME],
  scopePrefixes: [GEMINI_CLI_SCOPE_NAME],
  namePrefixes: [GEMINI_CLI_EVENT_PREFIX],
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
  tokenConvention: 'gemini',
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
};

const ignored: NormalizeCounts = { coerced: 0, dropped: 0, truncated: 0, redacted: 0 };

function eventNameOf(record: RawLogRecord): unknown {
  const attributes = record.attributes as Record<string, unknown> | undefined;
  return attributes?.[ATTR_GEMINI_CLI_EVENT_NAME];
}

/** Whether `record` is a `gemini_cli.api_response` event. */
export function isApiResponse(record: RawLogRecord): boolean {
  return eventNameOf(record) === GEMINI_CLI_EVENT_API_RESPONSE;
}

/**
 * A call's usage as its `gemini_cli.api_response` event reports it, in
 * Skein's convention: input includes the cached tokens (as Gemini's
 * `promptTokenCount` does) and output includes the thought tokens (which
 * Gemini's `candidatesTokenCount` leaves out: they are added).
 */
export function responseUsage(record: RawLogRecord): TokenUsage {
  const attributes = record.attributes as Record<string, unknown>;
  const input = toTokenCount(attributes[ATTR_GEMINI_CLI_INPUT_TOKEN_COUNT], ignored);
  const output = toTokenCount(attributes[ATTR_GEMINI_CLI_OUTPUT_TOKEN_COUNT], ignored);
  const cacheRead = toTokenCount(attributes[ATTR_GEMINI_CLI_CACHED_CONTENT_TOKEN_COUNT], ignored);
  const reasoning = toTokenCount(attributes[ATTR_GEMINI_CLI_THOUGHTS_TOKEN_COUNT], ignored);
  const counts: TokenUsage = {};
  if (input !== undefined) counts.input = input;
  if (output !== undefined) counts.output = output;
  if (cacheRead !== undefined) counts.cacheRead = cacheRead;
  if (reasoning !== undefined) counts.reasoning = reasoning;
  return tokenUsageFromProvider(counts, 'gemini');
}

/**
 * Whether the `gemini_cli.api_response` event `record` reports the model
 * call `step`: by span id when the event has one (Gemini CLI sends it for
 * some calls only), else by session, model and time (the event is logged
 * when the call ends, before its span closes).
 */
export function matchesResponse(step: SpanRecord, record: RawLogRecord): boolean {
  if (step.stepType !== 'llm' || !isApiResponse(record)) return false;
  if (record.spanId !== null) return record.traceId === step.traceId && record.spanId === step.spanId;
  if (step.sessionId === null || logSessionKey(record) !== step.sessionId) return false;
  const model = (record.attributes as Record<string, unknown>)[ATTR_GEMINI_CLI_MODEL];
  if (model !== (step.responseModel ?? step.requestModel)) return false;
  const time = record.timeUnixNano;
  return time >= step.startTimeUnixNano && (step.endTimeUnixNano === null || time <= step.endTimeUnixNano);
}

/**
 * The step's usage once its event is joined: the event's counts where it
 * has them (it has every kind), the span's otherwise; never the two added.
 */
export function joinResponseUsage(step: SpanRecord, record: RawLogRecord): TokenUsage {
  const fromEvent = responseUsage(record);
  const joined: TokenUsage = { ...step.usage };
  if (fromEvent.input !== undefined) joined.input = fromEvent.input;
  if (fromEvent.output !== undefined) joined.output = fromEvent.output;
  if (fromEvent.cacheRead !== undefined) joined.cacheRead = fromEvent.cacheRead;
  if (fromEvent.reasoning !== undefined) joined.reasoning = fromEvent.reasoning;
  return joined;
}
