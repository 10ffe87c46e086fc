/**
 * Codex CLI's own telemetry (`@openai/codex`, its `[otel]` settings in
 * `config.toml`; https://github.com/openai/codex/blob/main/docs/config.md#otel):
 * Rust `tracing` spans (hundreds per run, each internal operation its own
 * trace) and log events (`event.name` = `codex.<kind>`; `LogRecord.event_name`
 * is a source location such as `event otel/src/tool_result.rs:54`, never a
 * name). Keys such as `model` or `call_id` are generic words: read only on
 * records recognised as Codex's (src/model/agents).
 */

/** Resource `service.name` of `codex exec`. */
export const CODEX_SERVICE_NAME_EXEC = 'codex_exec';
/** Resource `service.name` of the interactive CLI and of the app server / IDE extension. */
export const CODEX_SERVICE_NAME_CLI = 'codex_cli_rs';
export const CODEX_SERVICE_NAME_VSCODE = 'codex_vscode';
/** Prefix of its instrumentation scope names (`codex_exec`, `codex_otel.log_only`, `codex_otel::metrics::client`). */
export const CODEX_SCOPE_PREFIX = 'codex_';
/** Prefix of its event names and of some span names (`codex.exec`, `codex.sampling`). */
export const CODEX_NAME_PREFIX = 'codex.';

/** The session key: one per conversation (`codex exec` run or interactive session), on every event and on its turn's spans. */
export const ATTR_CODEX_CONVERSATION_ID = 'conversation.id';

// Log events, by their `event.name` attribute.
export const CODEX_EVENT_CONVERSATION_STARTS = 'codex.conversation_starts';
export const CODEX_EVENT_USER_PROMPT = 'codex.user_prompt';
export const CODEX_EVENT_API_REQUEST = 'codex.api_request';
/** One per server-sent event of a Responses stream; `event.kind` says which. */
export const CODEX_EVENT_SSE_EVENT = 'codex.sse_event';
export const CODEX_EVENT_TOOL_DECISION = 'codex.tool_decision';
export const CODEX_EVENT_TOOL_RESULT = 'codex.tool_result';
export const CODEX_EVENT_TURN_TTFT = 'codex.turn_ttft';
export const CODEX_EVENT_STARTUP_PHASE = 'codex.startup_phase';

/** `event.kind` of a `codex.sse_event`: the Responses API event type. */
export const ATTR_CODEX_EVENT_KIND = 'event.kind';
export const CODEX_SSE_RESPONSE_COMPLETED = 'response.completed';

// Attributes on its events (every event also carries conversation.id, model, slug, app.version, originator).
export const ATTR_CODEX_EVENT_NAME = 'event.name';
export const ATTR_CODEX_MODEL = 'model';
export const ATTR_CODEX_PROMPT = 'prompt';
export const ATTR_CODEX_DURATION_MS = 'duration_ms';
/** OpenAI's count: includes the cached tokens below. */
export const ATTR_CODEX_INPUT_TOKEN_COUNT = 'input_token_count';
/** OpenAI's count: includes the reasoning tokens below. */
export const ATTR_CODEX_OUTPUT_TOKEN_COUNT = 'output_token_count';
export const ATTR_CODEX_CACHED_TOKEN_COUNT = 'cached_token_count';
export const ATTR_CODEX_CACHE_WRITE_TOKEN_COUNT = 'cache_write_token_count';
export const ATTR_CODEX_REASONING_TOKEN_COUNT = 'reasoning_token_count';
export const ATTR_CODEX_TOOL_NAME = 'tool_name';
export const ATTR_CODEX_CALL_ID = 'call_id';
/** JSON text of the tool call's arguments. */
export const ATTR_CODEX_ARGUMENTS = 'arguments';
/** The tool's output text as the model saw it. */
export const ATTR_CODEX_OUTPUT = 'output';
/** `"true"` / `"false"` as text. */
export const ATTR_CODEX_SUCCESS = 'success';

// Spans.
/** One per Responses stream event handled; the one that handled `response.completed` carries the usage below. */
export const CODEX_SPAN_HANDLE_RESPONSES = 'handle_responses';
/** A turn: the user's input and everything Codex did for it (`turn.id`, `codex.turn.token_usage.*`). */
export const CODEX_SPAN_TURN = 'session_task.turn';
/** Usage on `handle_responses`, besides the `gen_ai.usage.*` keys: */
export const ATTR_CODEX_USAGE_REASONING_OUTPUT_TOKENS = 'codex.usage.reasoning_output_tokens';
/** Codex's name for the cache-write count (the GenAI convention's is `gen_ai.usage.cache_creation.input_tokens`). */
export const ATTR_CODEX_USAGE_CACHE_WRITE_INPUT_TOKENS = 'gen_ai.usage.cache_write.input_tokens';
