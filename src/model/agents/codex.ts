/**
 * Codex CLI (`@openai/codex`) as a table.
 *
 * Its spans are Rust `tracing` spans: hundreds per run (`initialize`,
 * `auth`, `turn/start`, `append_items`, `fs.get_metadata` …), most of them
 * their own trace, with no step type and, outside the turn's trace, no
 * session key. They are kept as they arrived but are its plumbing
 * (`internalSpans`): step type `other`, marked internal, never a step of the
 * timeline nor a session of the default list.
 *
 * Its steps come from its log events, which carry `conversation.id` (the
 * session: one per `codex exec`), the model and its own usage accounting,
 * whether or not its traces are exported (`withSpans`):
 * - `codex.user_prompt`: the turn, with the prompt text;
 * - `codex.sse_event` carrying `input_token_count` (the `response.completed`
 *   record of each Responses stream; Codex sends a second
 *   `response.completed` without counts, and one record per other stream
 *   event): a model call with input, output, cached, cache-write and
 *   reasoning tokens, in OpenAI's convention (input includes cached, output
 *   includes reasoning);
 * - `codex.tool_result`: a tool call with its name, `call_id`, arguments,
 *   output, duration and success.
 *
 * One source per call: the same usage is on the `handle_responses` span that
 * handled `response.completed` (internal here, so kept as reported but never
 * summed) and in the `codex.turn.token_usage` metric.
 */
import {
  ATTR_CODEX_ARGUMENTS,
  ATTR_CODEX_CACHE_WRITE_TOKEN_COUNT,
  ATTR_CODEX_CACHED_TOKEN_COUNT,
  ATTR_CODEX_CALL_ID,
  ATTR_CODEX_DURATION_MS,
  ATTR_CODEX_EVENT_NAME,
  ATTR_CODEX_INPUT_TOKEN_COUNT,
  ATTR_CODEX_MODEL,
  ATTR_CODEX_OUTPUT,
  ATTR_CODEX_OUTPUT_TOKEN_COUNT,
  ATTR_CODEX_PROMPT,
  ATTR_CODEX_REASONING_TOKEN_COUNT,
  ATTR_CODEX_SUCCESS,
  ATTR_CODEX_TOOL_NAME,
  ATTR_CODEX_USAGE_CACHE_WRITE_INPUT_TOKENS,
  ATTR_CODEX_USAGE_REASONING_OUTPUT_TOKENS,
  CODEX_EVENT_API_REQUEST,
  CODEX_EVENT_CONVERSATION_STARTS,
  CODEX_EVENT_SSE_EVENT,
  CODEX_EVENT_STARTUP_PHASE,
  CODEX_EVENT_TOOL_DECISION,
  CODEX_EVENT_TOOL_RESULT,
  CODEX_EVENT_TURN_TTFT,
  CODEX_EVENT_USER_PROMPT,
  CODEX_SCOPE_PREFIX,
  CODEX_SERVICE_NAME_CLI,
  CODEX_SERVICE_NAME_EXEC,
  CODEX_SERVICE_NAME_VSCODE,
} from '../../semconv/codex.js';
import type { AgentTable } from './agent-table.js';

/** Names of the steps made from its events (not span names Codex uses itself). */
export const CODEX_STEP_TURN = 'codex.turn';
export const CODEX_STEP_MODEL_CALL = 'codex.response';
export const CODEX_STEP_TOOL = 'codex.tool';

export const CODEX: AgentTable = {
  name: 'codex',
  serviceNames: [CODEX_SERVICE_NAME_EXEC, CODEX_SERVICE_NAME_CLI, CODEX_SERVICE_NAME_VSCODE],
  scopePrefixes: [CODEX_SCOPE_PREFIX],
  // Not by name: an app's own `codex.*` spans must not become Codex's plumbing. Its records all carry
  // its service.name and a `codex_*` scope.
  namePrefixes: [],
  spanSteps: {
    [CODEX_STEP_TURN]: 'turn',
    [CODEX_STEP_MODEL_CALL]: 'llm',
    [CODEX_STEP_TOOL]: 'tool',
  },
  internalSpans: true,
  attributes: {
    [ATTR_CODEX_MODEL]: 'requestModelGenAi',
    [ATTR_CODEX_INPUT_TOKEN_COUNT]: 'inputGenAi',
    [ATTR_CODEX_OUTPUT_TOKEN_COUNT]: 'outputGenAi',
    [ATTR_CODEX_CACHED_TOKEN_COUNT]: 'cacheReadGenAi',
    [ATTR_CODEX_CACHE_WRITE_TOKEN_COUNT]: 'cacheWriteGenAi',
    [ATTR_CODEX_REASONING_TOKEN_COUNT]: 'reasoningGenAi',
    // The same counts as they are on its `handle_responses` span (internal: kept, never summed).
    [ATTR_CODEX_USAGE_CACHE_WRITE_INPUT_TOKENS]: 'cacheWriteGenAi',
    [ATTR_CODEX_USAGE_REASONING_OUTPUT_TOKENS]: 'reasoningGenAi',
    [ATTR_CODEX_TOOL_NAME]: 'toolNameGenAi',
    [ATTR_CODEX_CALL_ID]: 'toolCallIdGenAi',
    [ATTR_CODEX_ARGUMENTS]: 'toolArguments',
    [ATTR_CODEX_OUTPUT]: 'toolResult',
    [ATTR_CODEX_PROMPT]: 'inputValue',
  },
  tokenConvention: 'openai',
  provider: 'openai',
  events: {
    [CODEX_EVENT_CONVERSATION_STARTS]: 'a conversation started: provider, approval and sandbox policy',
    [CODEX_EVENT_USER_PROMPT]: 'the user submitted a prompt: a turn',
    [CODEX_EVENT_API_REQUEST]: 'an HTTP request to the model API: status, duration, attempt',
    [CODEX_EVENT_SSE_EVENT]: 'one event of a model response stream; response.completed carries the usage',
    [CODEX_EVENT_TOOL_DECISION]: 'a tool call was approved or denied',
    [CODEX_EVENT_TOOL_RESULT]: 'a tool call finished: name, arguments, output, duration, success',
    [CODEX_EVENT_TURN_TTFT]: 'time to the first token of a turn',
    [CODEX_EVENT_STARTUP_PHASE]: 'a startup phase finished',
  },
  derive: {
    eventNameKey: ATTR_CODEX_EVENT_NAME,
    // Codex's events carry no turn id: a run's steps are siblings under its session.
    turnKey: 'turn.id',
    durationMsKey: ATTR_CODEX_DURATION_MS,
    successKey: ATTR_CODEX_SUCCESS,
    errorKey: ATTR_CODEX_OUTPUT,
    withSpans: true,
    steps: {
      [CODEX_EVENT_USER_PROMPT]: { spanName: CODEX_STEP_TURN, step: 'turn' },
      [CODEX_EVENT_SSE_EVENT]: { spanName: CODEX_STEP_MODEL_CALL, step: 'llm', when: ATTR_CODEX_INPUT_TOKEN_COUNT },
      [CODEX_EVENT_TOOL_RESULT]: { spanName: CODEX_STEP_TOOL, step: 'tool' },
    },
  },
};
