/**
 * Gemini CLI's own telemetry (`@google/gemini-cli`, `telemetry` in
 * `settings.json`; https://github.com/google-gemini/gemini-cli/blob/main/docs/cli/telemetry.md):
 * one trace per model call (`llm_call`) or tool batch (`schedule_tool_calls`
 * → `tool_call`), spans named after their `gen_ai.operation.name`, joined
 * into a session by the resource `session.id` (`gen_ai.conversation.id` on
 * spans); log events with `event.name` = `gemini_cli.<kind>` and a sentence
 * as body. Keys such as `model` are generic words: read only on records
 * recognised as Gemini CLI's (src/model/agents).
 */

/** Resource `service.name` Gemini CLI reports. */
export const GEMINI_CLI_SERVICE_NAME = 'gemini-cli';
/** Its instrumentation scope name (spans, logs and metrics). */
export const GEMINI_CLI_SCOPE_NAME = 'gemini-cli';
/** Prefix of its event names. */
export const GEMINI_CLI_EVENT_PREFIX = 'gemini_cli.';

// Spans: their name is their `gen_ai.operation.name`.
export const GEMINI_CLI_SPAN_LLM_CALL = 'llm_call';
export const GEMINI_CLI_SPAN_TOOL_CALL = 'tool_call';
export const GEMINI_CLI_SPAN_SCHEDULE_TOOL_CALLS = 'schedule_tool_calls';
export const GEMINI_CLI_SPAN_AGENT_CALL = 'agent_call';
export const GEMINI_CLI_SPAN_USER_PROMPT = 'user_prompt';

// Log events, by their `event.name` attribute.
export const GEMINI_CLI_EVENT_CONFIG = 'gemini_cli.config';
export const GEMINI_CLI_EVENT_USER_PROMPT = 'gemini_cli.user_prompt';
export const GEMINI_CLI_EVENT_API_REQUEST = 'gemini_cli.api_request';
export const GEMINI_CLI_EVENT_API_RESPONSE = 'gemini_cli.api_response';
export const GEMINI_CLI_EVENT_API_ERROR = 'gemini_cli.api_error';
export const GEMINI_CLI_EVENT_TOOL_CALL = 'gemini_cli.tool_call';
export const GEMINI_CLI_EVENT_MODEL_ROUTING = 'gemini_cli.model_routing';

// Attributes on its events.
export const ATTR_GEMINI_CLI_EVENT_NAME = 'event.name';
export const ATTR_GEMINI_CLI_SESSION_ID = 'session.id';
export const ATTR_GEMINI_CLI_PROMPT_ID = 'prompt_id';
export const ATTR_GEMINI_CLI_MODEL = 'model';
export const ATTR_GEMINI_CLI_PROMPT = 'prompt';
export const ATTR_GEMINI_CLI_DURATION_MS = 'duration_ms';
/** Gemini's `promptTokenCount`: includes the cached tokens below. */
export const ATTR_GEMINI_CLI_INPUT_TOKEN_COUNT = 'input_token_count';
/** Gemini's `candidatesTokenCount`: excludes the thought tokens below (unlike OpenAI's output count). */
export const ATTR_GEMINI_CLI_OUTPUT_TOKEN_COUNT = 'output_token_count';
export const ATTR_GEMINI_CLI_CACHED_CONTENT_TOKEN_COUNT = 'cached_content_token_count';
/** Reasoning ("thinking") tokens, billed as output. */
export const ATTR_GEMINI_CLI_THOUGHTS_TOKEN_COUNT = 'thoughts_token_count';
export const ATTR_GEMINI_CLI_TOOL_TOKEN_COUNT = 'tool_token_count';
export const ATTR_GEMINI_CLI_TOTAL_TOKEN_COUNT = 'total_token_count';
export const ATTR_GEMINI_CLI_FUNCTION_NAME = 'function_name';
export const ATTR_GEMINI_CLI_FUNCTION_ARGS = 'function_args';
export const ATTR_GEMINI_CLI_SUCCESS = 'success';
export const ATTR_GEMINI_CLI_ERROR = 'error';
