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

/**
 * Span events Skein adds to the stored record of the span whose write made
 * its session reach a budget warning threshold or limit (see model/budgets.ts).
 */
export const EVENT_SKEIN_BUDGET_WARNING = 'skein.budget.warning';
export const EVENT_SKEIN_BUDGET_EXCEEDED = 'skein.budget.exceeded';
/** `session`, `agent` or `user`: whose limit it is. */
export const ATTR_SKEIN_BUDGET_SCOPE = 'skein.budget.scope';
/** The agent name or user id of an `agent`/`user` limit; the session id for `session`. */
export const ATTR_SKEIN_BUDGET_KEY = 'skein.budget.key';
/** `tokens`, `reasoningTokens` or `costUsd`. */
export const ATTR_SKEIN_BUDGET_METRIC = 'skein.budget.metric';
/** The limit (tokens, or USD for `costUsd`). */
export const ATTR_SKEIN_BUDGET_LIMIT = 'skein.budget.limit';
/** What the session had used when it crossed. */
export const ATTR_SKEIN_BUDGET_USED = 'skein.budget.used';
