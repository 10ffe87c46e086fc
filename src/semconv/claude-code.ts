/**
 * Claude Code's own telemetry (https://code.claude.com/docs/en/monitoring-usage):
 * beta trace spans, log events (`event.name` attribute, body
 * `claude_code.<name>`) and the attribute keys they carry. Keys such as
 * `model` or `input_tokens` are generic words: read only on records
 * recognised as Claude Code's (src/model/agents).
 */

/** Resource `service.name` Claude Code reports. */
export const CLAUDE_CODE_SERVICE_NAME = 'claude-code';
/** Prefix of its instrumentation scope names (`com.anthropic.claude_code`, `com.anthropic.claude_code.events`). */
export const CLAUDE_CODE_SCOPE_PREFIX = 'com.anthropic.claude_code';
/** Prefix of its span names and of its event bodies. */
export const CLAUDE_CODE_NAME_PREFIX = 'claude_code.';

// Beta trace spans (CLAUDE_CODE_ENHANCED_TELEMETRY_BETA=1).
export const CLAUDE_CODE_SPAN_INTERACTION = 'claude_code.interaction';
export const CLAUDE_CODE_SPAN_LLM_REQUEST = 'claude_code.llm_request';
export const CLAUDE_CODE_SPAN_TOOL = 'claude_code.tool';
export const CLAUDE_CODE_SPAN_TOOL_BLOCKED_ON_USER = 'claude_code.tool.blocked_on_user';
export const CLAUDE_CODE_SPAN_TOOL_EXECUTION = 'claude_code.tool.execution';

// Log events, by their `event.name` attribute.
export const CLAUDE_CODE_EVENT_USER_PROMPT = 'user_prompt';
export const CLAUDE_CODE_EVENT_API_REQUEST = 'api_request';
export const CLAUDE_CODE_EVENT_API_ERROR = 'api_error';
export const CLAUDE_CODE_EVENT_ASSISTANT_RESPONSE = 'assistant_response';
export const CLAUDE_CODE_EVENT_TOOL_DECISION = 'tool_decision';
export const CLAUDE_CODE_EVENT_TOOL_RESULT = 'tool_result';
export const CLAUDE_CODE_EVENT_API_REQUEST_BODY = 'api_request_body';
export const CLAUDE_CODE_EVENT_API_RESPONSE_BODY = 'api_response_body';
export const CLAUDE_CODE_EVENT_SUBAGENT_COMPLETED = 'subagent_completed';

// Attributes on its spans and events.
export const ATTR_CLAUDE_CODE_EVENT_NAME = 'event.name';
export const ATTR_CLAUDE_CODE_EVENT_TIMESTAMP = 'event.timestamp';
export const ATTR_CLAUDE_CODE_EVENT_SEQUENCE = 'event.sequence';
export const ATTR_CLAUDE_CODE_PROMPT_ID = 'prompt.id';
export const ATTR_CLAUDE_CODE_MODEL = 'model';
/** Anthropic's count: excludes the cache reads and writes below. */
export const ATTR_CLAUDE_CODE_INPUT_TOKENS = 'input_tokens';
export const ATTR_CLAUDE_CODE_OUTPUT_TOKENS = 'output_tokens';
export const ATTR_CLAUDE_CODE_CACHE_READ_TOKENS = 'cache_read_tokens';
export const ATTR_CLAUDE_CODE_CACHE_CREATION_TOKENS = 'cache_creation_tokens';
/** Claude Code's own estimate of the call's cost. */
export const ATTR_CLAUDE_CODE_COST_USD = 'cost_usd';
export const ATTR_CLAUDE_CODE_DURATION_MS = 'duration_ms';
export const ATTR_CLAUDE_CODE_TOOL_NAME = 'tool_name';
export const ATTR_CLAUDE_CODE_TOOL_USE_ID = 'tool_use_id';
/** JSON text of the tool's parameters (Bash: command and description by default). */
export const ATTR_CLAUDE_CODE_TOOL_PARAMETERS = 'tool_parameters';
/** JSON text of the tool's input (with OTEL_LOG_TOOL_DETAILS=1). */
export const ATTR_CLAUDE_CODE_TOOL_INPUT = 'tool_input';
export const ATTR_CLAUDE_CODE_TOOL_RESULT = 'tool_result';
/** The command a Bash tool ran, on its `claude_code.tool` span. */
export const ATTR_CLAUDE_CODE_FULL_COMMAND = 'full_command';
/**
 * The span event a `claude_code.tool` span gets with its result (OTEL_LOG_TOOL_CONTENT=1): Bash's stdout
 * as `output`, Read's file as `content` (Write: the content written), Edit's change as `diff`.
 */
export const CLAUDE_CODE_SPAN_EVENT_TOOL_OUTPUT = 'tool.output';
export const ATTR_CLAUDE_CODE_TOOL_OUTPUT_OUTPUT = 'output';
export const ATTR_CLAUDE_CODE_TOOL_OUTPUT_CONTENT = 'content';
export const ATTR_CLAUDE_CODE_TOOL_OUTPUT_DIFF = 'diff';
/** The file a Read / Edit / Write tool worked on, on its `claude_code.tool` span. */
export const ATTR_CLAUDE_CODE_FILE_PATH = 'file_path';
/** `"true"` / `"false"` as text. */
export const ATTR_CLAUDE_CODE_SUCCESS = 'success';
export const ATTR_CLAUDE_CODE_ERROR = 'error';
/** The prompt text on a `user_prompt` event (with OTEL_LOG_USER_PROMPTS=1). */
export const ATTR_CLAUDE_CODE_PROMPT = 'prompt';
/** The prompt text on a `claude_code.interaction` span. */
export const ATTR_CLAUDE_CODE_USER_PROMPT = 'user_prompt';
/** The answer text on an `assistant_response` event. */
export const ATTR_CLAUDE_CODE_RESPONSE = 'response';
export const ATTR_CLAUDE_CODE_AGENT_ID = 'agent_id';
/** The model API's request id, on `api_request`, `assistant_response` and `llm_request` spans alike. */
export const ATTR_CLAUDE_CODE_REQUEST_ID = 'request_id';
export const ATTR_CLAUDE_CODE_SESSION_ID = 'session.id';
