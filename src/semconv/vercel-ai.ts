/** Vercel AI SDK telemetry (`experimental_telemetry`) span attributes, v4 and v5 names. */

/** ai.generateText, ai.generateText.doGenerate, ai.streamText.doStream, ai.embed.doEmbed, ai.toolCall, ... */
export const ATTR_AI_OPERATION_ID = 'ai.operationId';
export const ATTR_AI_MODEL_ID = 'ai.model.id';
/** e.g. `openai.chat`, `anthropic.messages`. */
export const ATTR_AI_MODEL_PROVIDER = 'ai.model.provider';
export const ATTR_AI_RESPONSE_MODEL = 'ai.response.model';
/** v4 names. Input includes cached tokens. */
export const ATTR_AI_USAGE_PROMPT_TOKENS = 'ai.usage.promptTokens';
export const ATTR_AI_USAGE_COMPLETION_TOKENS = 'ai.usage.completionTokens';
/** v5 names. `inputTokens` includes `cachedInputTokens`; `outputTokens` includes `reasoningTokens`. */
export const ATTR_AI_USAGE_INPUT_TOKENS = 'ai.usage.inputTokens';
export const ATTR_AI_USAGE_OUTPUT_TOKENS = 'ai.usage.outputTokens';
export const ATTR_AI_USAGE_TOTAL_TOKENS = 'ai.usage.totalTokens';
export const ATTR_AI_USAGE_REASONING_TOKENS = 'ai.usage.reasoningTokens';
export const ATTR_AI_USAGE_CACHED_INPUT_TOKENS = 'ai.usage.cachedInputTokens';
export const ATTR_AI_TELEMETRY_SESSION_ID = 'ai.telemetry.metadata.sessionId';
export const ATTR_AI_TELEMETRY_USER_ID = 'ai.telemetry.metadata.userId';
export const ATTR_AI_TELEMETRY_FUNCTION_ID = 'ai.telemetry.functionId';
/** JSON `{ system?, prompt?, messages? }` on the outer span. */
export const ATTR_AI_PROMPT = 'ai.prompt';
/** JSON message array on the provider-call (doGenerate/doStream) span. */
export const ATTR_AI_PROMPT_MESSAGES = 'ai.prompt.messages';
export const ATTR_AI_RESPONSE_TEXT = 'ai.response.text';
export const ATTR_AI_RESPONSE_TOOL_CALLS = 'ai.response.toolCalls';
export const ATTR_AI_RESPONSE_REASONING = 'ai.response.reasoning';
export const ATTR_AI_TOOL_CALL_NAME = 'ai.toolCall.name';
export const ATTR_AI_TOOL_CALL_ID = 'ai.toolCall.id';
export const ATTR_AI_TOOL_CALL_ARGS = 'ai.toolCall.args';
export const ATTR_AI_TOOL_CALL_RESULT = 'ai.toolCall.result';

export const AI_OPERATION_ID_VALUE_TOOL_CALL = 'ai.toolCall';
