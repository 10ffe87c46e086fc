/**
 * Every attribute key normalization reads, mapped to a numbered slot and the
 * kind of value it holds. The attribute scan does one Map lookup per key and
 * stores the (coerced) value in its slot; precedence between dialects is
 * decided afterwards by reading slots in order.
 */

import {
  ATTR_AGENT_NAME,
  ATTR_AI_MODEL_ID,
  ATTR_AI_MODEL_PROVIDER,
  ATTR_AI_OPERATION_ID,
  ATTR_AI_PROMPT,
  ATTR_AI_PROMPT_MESSAGES,
  ATTR_AI_RESPONSE_MODEL,
  ATTR_AI_RESPONSE_REASONING,
  ATTR_AI_RESPONSE_TEXT,
  ATTR_AI_RESPONSE_TOOL_CALLS,
  ATTR_AI_TELEMETRY_SESSION_ID,
  ATTR_AI_TELEMETRY_USER_ID,
  ATTR_AI_TOOL_CALL_ARGS,
  ATTR_AI_TOOL_CALL_ID,
  ATTR_AI_TOOL_CALL_NAME,
  ATTR_AI_TOOL_CALL_RESULT,
  ATTR_AI_USAGE_CACHED_INPUT_TOKENS,
  ATTR_AI_USAGE_COMPLETION_TOKENS,
  ATTR_AI_USAGE_INPUT_TOKENS,
  ATTR_AI_USAGE_OUTPUT_TOKENS,
  ATTR_AI_USAGE_PROMPT_TOKENS,
  ATTR_AI_USAGE_REASONING_TOKENS,
  ATTR_AI_USAGE_TOTAL_TOKENS,
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_AGENT_ID,
  ATTR_GEN_AI_AGENT_NAME,
  ATTR_GEN_AI_CONVERSATION_ID,
  ATTR_GEN_AI_INPUT_MESSAGES,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_OUTPUT_MESSAGES,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_RESPONSE_MODEL,
  ATTR_GEN_AI_SYSTEM,
  ATTR_GEN_AI_SYSTEM_INSTRUCTIONS,
  ATTR_GEN_AI_TOOL_CALL_ARGUMENTS,
  ATTR_GEN_AI_TOOL_CALL_ID,
  ATTR_GEN_AI_TOOL_CALL_RESULT,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_COMPLETION_TOKENS,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  ATTR_GEN_AI_USAGE_PROMPT_TOKENS,
  ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS,
  ATTR_INPUT_VALUE,
  ATTR_LANGFUSE_COST_DETAILS,
  ATTR_LANGFUSE_OBSERVATION_INPUT,
  ATTR_LANGFUSE_OBSERVATION_LEVEL,
  ATTR_LANGFUSE_OBSERVATION_MODEL,
  ATTR_LANGFUSE_OBSERVATION_OUTPUT,
  ATTR_LANGFUSE_OBSERVATION_TYPE,
  ATTR_LANGFUSE_SESSION_ID,
  ATTR_LANGFUSE_USAGE_DETAILS,
  ATTR_LANGFUSE_USER_ID,
  ATTR_LLM_COST_COMPLETION,
  ATTR_LLM_COST_PROMPT,
  ATTR_LLM_COST_TOTAL,
  ATTR_LLM_MODEL_NAME,
  ATTR_LLM_PROVIDER,
  ATTR_LLM_REQUEST_TYPE,
  ATTR_LLM_SYSTEM,
  ATTR_LLM_TOKEN_COUNT_COMPLETION,
  ATTR_LLM_TOKEN_COUNT_COMPLETION_REASONING,
  ATTR_LLM_TOKEN_COUNT_PROMPT,
  ATTR_LLM_TOKEN_COUNT_PROMPT_CACHE_READ,
  ATTR_LLM_TOKEN_COUNT_PROMPT_CACHE_WRITE,
  ATTR_LLM_TOKEN_COUNT_TOTAL,
  ATTR_LLM_USAGE_TOTAL_TOKENS,
  ATTR_OPENINFERENCE_SPAN_KIND,
  ATTR_OUTPUT_VALUE,
  ATTR_SESSION_ID,
  ATTR_SKEIN_REASONING_CONTENT,
  ATTR_SKEIN_STEP_TYPE,
  ATTR_TOOL_CALL_ID,
  ATTR_TOOL_NAME,
  ATTR_TRACELOOP_ENTITY_INPUT,
  ATTR_TRACELOOP_ENTITY_NAME,
  ATTR_TRACELOOP_ENTITY_OUTPUT,
  ATTR_TRACELOOP_SESSION_ID,
  ATTR_TRACELOOP_SPAN_KIND,
  ATTR_TRACELOOP_USAGE_CACHE_CREATION_INPUT_TOKENS,
  ATTR_TRACELOOP_USAGE_CACHE_READ_INPUT_TOKENS,
  ATTR_TRACELOOP_USAGE_COST,
  ATTR_TRACELOOP_USAGE_INPUT_COST,
  ATTR_TRACELOOP_USAGE_OUTPUT_COST,
  ATTR_TRACELOOP_USAGE_REASONING_TOKENS,
  ATTR_TRACELOOP_USAGE_TOTAL_TOKENS,
  ATTR_TRACELOOP_USER_ID,
  ATTR_USER_ID,
} from '../semconv/index.js';
import { ATTR_CODEX_CONVERSATION_ID } from '../semconv/codex.js';

/** name: a short string (ids, models, kinds); tokens: a token count; usd: an amount; value: kept as it arrived, read lazily. */
export type SlotKind = 'name' | 'tokens' | 'usd' | 'value';

type SlotSpecs = Record<string, readonly [attributeKey: string, kind: SlotKind]>;

function defineSlots<const T extends SlotSpecs>(specs: T) {
  const byKey = new Map<string, number>();
  const kinds: SlotKind[] = [];
  const entries: [string, number][] = [];
  for (const [name, [key, kind]] of Object.entries(specs)) {
    if (byKey.has(key)) throw new Error(`attribute ${key} mapped twice`);
    entries.push([name, kinds.length]);
    byKey.set(key, kinds.length);
    kinds.push(kind);
  }
  // Built in one go: an object grown key by key in a loop falls into V8's slow dictionary mode, and
  // every span reads ~100 slot numbers from it.
  const slot = Object.fromEntries(entries) as { readonly [K in keyof T]: number };
  return { slot, byKey, kinds, count: kinds.length };
}

export const SLOTS = defineSlots({
  // what the step is
  stepSkein: [ATTR_SKEIN_STEP_TYPE, 'name'],
  opGenAi: [ATTR_GEN_AI_OPERATION_NAME, 'name'],
  kindOpenInference: [ATTR_OPENINFERENCE_SPAN_KIND, 'name'],
  kindTraceloop: [ATTR_TRACELOOP_SPAN_KIND, 'name'],
  llmRequestType: [ATTR_LLM_REQUEST_TYPE, 'name'],
  opVercel: [ATTR_AI_OPERATION_ID, 'name'],
  kindLangfuse: [ATTR_LANGFUSE_OBSERVATION_TYPE, 'name'],
  // session and user (session order is ARCHITECTURE.md's precedence)
  sessionGenAi: [ATTR_GEN_AI_CONVERSATION_ID, 'name'],
  sessionOpenInference: [ATTR_SESSION_ID, 'name'],
  sessionCodex: [ATTR_CODEX_CONVERSATION_ID, 'name'],
  sessionLangfuse: [ATTR_LANGFUSE_SESSION_ID, 'name'],
  sessionVercel: [ATTR_AI_TELEMETRY_SESSION_ID, 'name'],
  sessionTraceloop: [ATTR_TRACELOOP_SESSION_ID, 'name'],
  userOpenInference: [ATTR_USER_ID, 'name'],
  userLangfuse: [ATTR_LANGFUSE_USER_ID, 'name'],
  userVercel: [ATTR_AI_TELEMETRY_USER_ID, 'name'],
  userTraceloop: [ATTR_TRACELOOP_USER_ID, 'name'],
  // model
  providerGenAi: [ATTR_GEN_AI_PROVIDER_NAME, 'name'],
  systemGenAi: [ATTR_GEN_AI_SYSTEM, 'name'],
  providerOpenInference: [ATTR_LLM_PROVIDER, 'name'],
  systemOpenInference: [ATTR_LLM_SYSTEM, 'name'],
  providerVercel: [ATTR_AI_MODEL_PROVIDER, 'name'],
  requestModelGenAi: [ATTR_GEN_AI_REQUEST_MODEL, 'name'],
  modelOpenInference: [ATTR_LLM_MODEL_NAME, 'name'],
  modelVercel: [ATTR_AI_MODEL_ID, 'name'],
  modelLangfuse: [ATTR_LANGFUSE_OBSERVATION_MODEL, 'name'],
  responseModelGenAi: [ATTR_GEN_AI_RESPONSE_MODEL, 'name'],
  responseModelVercel: [ATTR_AI_RESPONSE_MODEL, 'name'],
  // agent and tool
  agentNameGenAi: [ATTR_GEN_AI_AGENT_NAME, 'name'],
  agentIdGenAi: [ATTR_GEN_AI_AGENT_ID, 'name'],
  agentNameOpenInference: [ATTR_AGENT_NAME, 'name'],
  entityNameTraceloop: [ATTR_TRACELOOP_ENTITY_NAME, 'name'],
  toolNameGenAi: [ATTR_GEN_AI_TOOL_NAME, 'name'],
  toolNameOpenInference: [ATTR_TOOL_NAME, 'name'],
  toolNameVercel: [ATTR_AI_TOOL_CALL_NAME, 'name'],
  toolCallIdGenAi: [ATTR_GEN_AI_TOOL_CALL_ID, 'name'],
  toolCallIdOpenInference: [ATTR_TOOL_CALL_ID, 'name'],
  toolCallIdVercel: [ATTR_AI_TOOL_CALL_ID, 'name'],
  // outcome
  errorType: [ATTR_ERROR_TYPE, 'name'],
  levelLangfuse: [ATTR_LANGFUSE_OBSERVATION_LEVEL, 'name'],
  // usage: every dialect below counts cache tokens inside input and reasoning inside output
  inputGenAi: [ATTR_GEN_AI_USAGE_INPUT_TOKENS, 'tokens'],
  inputGenAiDeprecated: [ATTR_GEN_AI_USAGE_PROMPT_TOKENS, 'tokens'],
  inputOpenInference: [ATTR_LLM_TOKEN_COUNT_PROMPT, 'tokens'],
  inputVercel: [ATTR_AI_USAGE_INPUT_TOKENS, 'tokens'],
  inputVercelV4: [ATTR_AI_USAGE_PROMPT_TOKENS, 'tokens'],
  outputGenAi: [ATTR_GEN_AI_USAGE_OUTPUT_TOKENS, 'tokens'],
  outputGenAiDeprecated: [ATTR_GEN_AI_USAGE_COMPLETION_TOKENS, 'tokens'],
  outputOpenInference: [ATTR_LLM_TOKEN_COUNT_COMPLETION, 'tokens'],
  outputVercel: [ATTR_AI_USAGE_OUTPUT_TOKENS, 'tokens'],
  outputVercelV4: [ATTR_AI_USAGE_COMPLETION_TOKENS, 'tokens'],
  reasoningGenAi: [ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS, 'tokens'],
  reasoningOpenInference: [ATTR_LLM_TOKEN_COUNT_COMPLETION_REASONING, 'tokens'],
  reasoningTraceloop: [ATTR_TRACELOOP_USAGE_REASONING_TOKENS, 'tokens'],
  reasoningVercel: [ATTR_AI_USAGE_REASONING_TOKENS, 'tokens'],
  cacheReadGenAi: [ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS, 'tokens'],
  cacheReadOpenInference: [ATTR_LLM_TOKEN_COUNT_PROMPT_CACHE_READ, 'tokens'],
  cacheReadTraceloop: [ATTR_TRACELOOP_USAGE_CACHE_READ_INPUT_TOKENS, 'tokens'],
  cacheReadVercel: [ATTR_AI_USAGE_CACHED_INPUT_TOKENS, 'tokens'],
  cacheWriteGenAi: [ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS, 'tokens'],
  cacheWriteOpenInference: [ATTR_LLM_TOKEN_COUNT_PROMPT_CACHE_WRITE, 'tokens'],
  cacheWriteTraceloop: [ATTR_TRACELOOP_USAGE_CACHE_CREATION_INPUT_TOKENS, 'tokens'],
  totalOpenInference: [ATTR_LLM_TOKEN_COUNT_TOTAL, 'tokens'],
  totalTraceloop: [ATTR_TRACELOOP_USAGE_TOTAL_TOKENS, 'tokens'],
  totalLlmUsage: [ATTR_LLM_USAGE_TOTAL_TOKENS, 'tokens'],
  totalVercel: [ATTR_AI_USAGE_TOTAL_TOKENS, 'tokens'],
  usageDetailsLangfuse: [ATTR_LANGFUSE_USAGE_DETAILS, 'value'],
  // supplied cost
  costTraceloop: [ATTR_TRACELOOP_USAGE_COST, 'usd'],
  costTotalOpenInference: [ATTR_LLM_COST_TOTAL, 'usd'],
  costPromptOpenInference: [ATTR_LLM_COST_PROMPT, 'usd'],
  costCompletionOpenInference: [ATTR_LLM_COST_COMPLETION, 'usd'],
  costInputTraceloop: [ATTR_TRACELOOP_USAGE_INPUT_COST, 'usd'],
  costOutputTraceloop: [ATTR_TRACELOOP_USAGE_OUTPUT_COST, 'usd'],
  costDetailsLangfuse: [ATTR_LANGFUSE_COST_DETAILS, 'value'],
  // content
  systemInstructions: [ATTR_GEN_AI_SYSTEM_INSTRUCTIONS, 'value'],
  inputMessages: [ATTR_GEN_AI_INPUT_MESSAGES, 'value'],
  outputMessages: [ATTR_GEN_AI_OUTPUT_MESSAGES, 'value'],
  toolArguments: [ATTR_GEN_AI_TOOL_CALL_ARGUMENTS, 'value'],
  toolResult: [ATTR_GEN_AI_TOOL_CALL_RESULT, 'value'],
  inputValue: [ATTR_INPUT_VALUE, 'value'],
  outputValue: [ATTR_OUTPUT_VALUE, 'value'],
  promptVercel: [ATTR_AI_PROMPT, 'value'],
  promptMessagesVercel: [ATTR_AI_PROMPT_MESSAGES, 'value'],
  responseTextVercel: [ATTR_AI_RESPONSE_TEXT, 'value'],
  responseToolCallsVercel: [ATTR_AI_RESPONSE_TOOL_CALLS, 'value'],
  responseReasoningVercel: [ATTR_AI_RESPONSE_REASONING, 'value'],
  toolArgsVercel: [ATTR_AI_TOOL_CALL_ARGS, 'value'],
  toolResultVercel: [ATTR_AI_TOOL_CALL_RESULT, 'value'],
  inputLangfuse: [ATTR_LANGFUSE_OBSERVATION_INPUT, 'value'],
  outputLangfuse: [ATTR_LANGFUSE_OBSERVATION_OUTPUT, 'value'],
  inputTraceloop: [ATTR_TRACELOOP_ENTITY_INPUT, 'value'],
  outputTraceloop: [ATTR_TRACELOOP_ENTITY_OUTPUT, 'value'],
  reasoningSkein: [ATTR_SKEIN_REASONING_CONTENT, 'value'],
});

export const S = SLOTS.slot;

/** The session slots in precedence order (ARCHITECTURE.md): the first one set holds the session key. */
export const SESSION_SLOT_ORDER: readonly number[] = [
  S.sessionGenAi,
  S.sessionOpenInference,
  S.sessionCodex,
  S.sessionLangfuse,
  S.sessionVercel,
  S.sessionTraceloop,
];

/** Their attribute keys, in the same order (what log records and metric points are read by). */
export const SESSION_KEYS: readonly string[] = SESSION_SLOT_ORDER.map((slot) => {
  for (const [key, at] of SLOTS.byKey) if (at === slot) return key;
  throw new Error(`session slot ${slot} has no key`);
});
