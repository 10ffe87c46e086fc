/**
 * Skein's own attribute names and the GenAI values Skein's `AgentTracer`
 * emits. Everything else it emits is plain OTel GenAI, so any backend reads it.
 */

import {
  GEN_AI_OPERATION_NAME_VALUE_CHAT,
  GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL,
  GEN_AI_OPERATION_NAME_VALUE_INVOKE_AGENT,
} from './gen-ai.js';

/**
 * Overrides the step type of a span. Needed for reasoning steps, which no
 * dialect has a kind for; accepts any `StepType` value.
 */
export const ATTR_SKEIN_STEP_TYPE = 'skein.step.type';
export const SKEIN_STEP_TYPE_VALUE_REASONING = 'reasoning';
/** Reasoning text of a reasoning step, when not sent as `reasoning` message parts. */
export const ATTR_SKEIN_REASONING_CONTENT = 'skein.reasoning.content';

/** `gen_ai.operation.name` of a session/agent span. */
export const SKEIN_OPERATION_AGENT = GEN_AI_OPERATION_NAME_VALUE_INVOKE_AGENT;
/** `gen_ai.operation.name` of a model call. */
export const SKEIN_OPERATION_MODEL_CALL = GEN_AI_OPERATION_NAME_VALUE_CHAT;
/** `gen_ai.operation.name` of a tool call. */
export const SKEIN_OPERATION_TOOL_CALL = GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL;
