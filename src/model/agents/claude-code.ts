/**
 * Claude Code (`@anthropic-ai/claude-code`) as a table. With its beta traces
 * on, `claude_code.interaction` (a turn) holds `claude_code.llm_request`
 * (model calls) and `claude_code.tool` (tool calls, with
 * `.blocked_on_user` / `.execution` children; a subagent's steps nest under
 * the Agent tool's execution span); its events add to those spans what they
 * lack (`enrich`: a call's cost and answer, a tool's arguments, result and
 * success). By default it sends log events only: `derive` makes its steps
 * from them.
 */
import {
  ATTR_CLAUDE_CODE_AGENT_ID,
  ATTR_CLAUDE_CODE_CACHE_CREATION_TOKENS,
  ATTR_CLAUDE_CODE_CACHE_READ_TOKENS,
  ATTR_CLAUDE_CODE_COST_USD,
  ATTR_CLAUDE_CODE_DURATION_MS,
  ATTR_CLAUDE_CODE_ERROR,
  ATTR_CLAUDE_CODE_EVENT_NAME,
  ATTR_CLAUDE_CODE_EVENT_SEQUENCE,
  ATTR_CLAUDE_CODE_FILE_PATH,
  ATTR_CLAUDE_CODE_FULL_COMMAND,
  ATTR_CLAUDE_CODE_INPUT_TOKENS,
  ATTR_CLAUDE_CODE_MODEL,
  ATTR_CLAUDE_CODE_OUTPUT_TOKENS,
  ATTR_CLAUDE_CODE_PROMPT,
  ATTR_CLAUDE_CODE_PROMPT_ID,
  ATTR_CLAUDE_CODE_REQUEST_ID,
  ATTR_CLAUDE_CODE_RESPONSE,
  ATTR_CLAUDE_CODE_SUCCESS,
  ATTR_CLAUDE_CODE_TOOL_INPUT,
  ATTR_CLAUDE_CODE_TOOL_NAME,
  ATTR_CLAUDE_CODE_TOOL_PARAMETERS,
  ATTR_CLAUDE_CODE_TOOL_RESULT,
  ATTR_CLAUDE_CODE_TOOL_USE_ID,
  ATTR_CLAUDE_CODE_USER_PROMPT,
  CLAUDE_CODE_EVENT_API_ERROR,
  CLAUDE_CODE_EVENT_API_REQUEST,
  CLAUDE_CODE_EVENT_API_REQUEST_BODY,
  CLAUDE_CODE_EVENT_API_RESPONSE_BODY,
  CLAUDE_CODE_EVENT_ASSISTANT_RESPONSE,
  CLAUDE_CODE_EVENT_SUBAGENT_COMPLETED,
  CLAUDE_CODE_EVENT_TOOL_DECISION,
  CLAUDE_CODE_EVENT_TOOL_RESULT,
  CLAUDE_CODE_EVENT_USER_PROMPT,
  CLAUDE_CODE_NAME_PREFIX,
  CLAUDE_CODE_SCOPE_PREFIX,
  CLAUDE_CODE_SERVICE_NAME,
  ATTR_CLAUDE_CODE_TOOL_OUTPUT_CONTENT,
  ATTR_CLAUDE_CODE_TOOL_OUTPUT_DIFF,
  ATTR_CLAUDE_CODE_TOOL_OUTPUT_OUTPUT,
  CLAUDE_CODE_SPAN_EVENT_TOOL_OUTPUT,
  CLAUDE_CODE_SPAN_INTERACTION,
  CLAUDE_CODE_SPAN_LLM_REQUEST,
  CLAUDE_CODE_SPAN_TOOL,
  CLAUDE_CODE_SPAN_TOOL_BLOCKED_ON_USER,
  CLAUDE_CODE_SPAN_TOOL_EXECUTION,
} from '../../semconv/claude-code.js';
import type { AgentTable } from './agent-table.js';

export const CLAUDE_CODE: AgentTable = {
  name: CLAUDE_CODE_SERVICE_NAME,
  serviceNames: [CLAUDE_CODE_SERVICE_NAME],
  scopePrefixes: [CLAUDE_CODE_SCOPE_PREFIX],
  namePrefixes: [CLAUDE_CODE_NAME_PREFIX],
  spanSteps: {
    [CLAUDE_CODE_SPAN_INTERACTION]: 'turn',
    [CLAUDE_CODE_SPAN_LLM_REQUEST]: 'llm',
    [CLAUDE_CODE_SPAN_TOOL]: 'tool',
    [CLAUDE_CODE_SPAN_TOOL_BLOCKED_ON_USER]: 'other',
    [CLAUDE_CODE_SPAN_TOOL_EXECUTION]: 'other',
  },
  attributes: {
    [ATTR_CLAUDE_CODE_MODEL]: 'requestModelGenAi',
    [ATTR_CLAUDE_CODE_INPUT_TOKENS]: 'inputGenAi',
    [ATTR_CLAUDE_CODE_OUTPUT_TOKENS]: 'outputGenAi',
    [ATTR_CLAUDE_CODE_CACHE_READ_TOKENS]: 'cacheReadGenAi',
    [ATTR_CLAUDE_CODE_CACHE_CREATION_TOKENS]: 'cacheWriteGenAi',
    [ATTR_CLAUDE_CODE_COST_USD]: 'costTraceloop',
    [ATTR_CLAUDE_CODE_TOOL_NAME]: 'toolNameGenAi',
    [ATTR_CLAUDE_CODE_TOOL_USE_ID]: 'toolCallIdGenAi',
    // The full input (OTEL_LOG_TOOL_DETAILS=1) outranks the default parameters summary.
    [ATTR_CLAUDE_CODE_TOOL_INPUT]: 'toolArguments',
    [ATTR_CLAUDE_CODE_TOOL_PARAMETERS]: 'inputValue',
    [ATTR_CLAUDE_CODE_TOOL_RESULT]: 'toolResult',
    // What a beta tool span says of its input (its events carry tool_input).
    [ATTR_CLAUDE_CODE_FULL_COMMAND]: 'inputValue',
    [ATTR_CLAUDE_CODE_FILE_PATH]: 'inputValue',
    [ATTR_CLAUDE_CODE_PROMPT]: 'inputValue',
    [ATTR_CLAUDE_CODE_USER_PROMPT]: 'inputValue',
    [ATTR_CLAUDE_CODE_RESPONSE]: 'outputValue',
    [ATTR_CLAUDE_CODE_AGENT_ID]: 'agentIdGenAi',
  },
  tokenConvention: 'anthropic',
  provider: 'anthropic',
  events: {
    [CLAUDE_CODE_EVENT_USER_PROMPT]: 'the user submitted a prompt: a turn',
    [CLAUDE_CODE_EVENT_API_REQUEST]: 'a model call finished: model, tokens, duration, cost',
    [CLAUDE_CODE_EVENT_API_ERROR]: 'a model call failed',
    [CLAUDE_CODE_EVENT_ASSISTANT_RESPONSE]: "the model's answer",
    [CLAUDE_CODE_EVENT_TOOL_DECISION]: 'a tool call was accepted or rejected',
    [CLAUDE_CODE_EVENT_TOOL_RESULT]: 'a tool call finished: name, success, duration, parameters',
    [CLAUDE_CODE_EVENT_API_REQUEST_BODY]: 'the raw request body',
    [CLAUDE_CODE_EVENT_API_RESPONSE_BODY]: 'the raw response body',
    [CLAUDE_CODE_EVENT_SUBAGENT_COMPLETED]: 'a subagent finished',
  },
  derive: {
    eventNameKey: ATTR_CLAUDE_CODE_EVENT_NAME,
    turnKey: ATTR_CLAUDE_CODE_PROMPT_ID,
    orderKey: ATTR_CLAUDE_CODE_EVENT_SEQUENCE,
    durationMsKey: ATTR_CLAUDE_CODE_DURATION_MS,
    successKey: ATTR_CLAUDE_CODE_SUCCESS,
    errorKey: ATTR_CLAUDE_CODE_ERROR,
    steps: {
      [CLAUDE_CODE_EVENT_USER_PROMPT]: { spanName: CLAUDE_CODE_SPAN_INTERACTION, step: 'turn' },
      [CLAUDE_CODE_EVENT_API_REQUEST]: { spanName: CLAUDE_CODE_SPAN_LLM_REQUEST, step: 'llm' },
      [CLAUDE_CODE_EVENT_TOOL_RESULT]: { spanName: CLAUDE_CODE_SPAN_TOOL, step: 'tool' },
    },
    outputs: { [CLAUDE_CODE_EVENT_ASSISTANT_RESPONSE]: ATTR_CLAUDE_CODE_RESPONSE },
    outputKey: ATTR_CLAUDE_CODE_RESPONSE,
    outputJoinKey: ATTR_CLAUDE_CODE_REQUEST_ID,
  },
  enrich: [
    {
      spanName: CLAUDE_CODE_SPAN_LLM_REQUEST,
      joinKey: ATTR_CLAUDE_CODE_REQUEST_ID,
      eventNameKey: ATTR_CLAUDE_CODE_EVENT_NAME,
      costs: { [CLAUDE_CODE_EVENT_API_REQUEST]: ATTR_CLAUDE_CODE_COST_USD },
      outputs: { [CLAUDE_CODE_EVENT_ASSISTANT_RESPONSE]: ATTR_CLAUDE_CODE_RESPONSE },
    },
    {
      // The step users see is the tool span (its `.execution` child carries only the same id and success).
      spanName: CLAUDE_CODE_SPAN_TOOL,
      joinKey: ATTR_CLAUDE_CODE_TOOL_USE_ID,
      eventNameKey: ATTR_CLAUDE_CODE_EVENT_NAME,
      inputs: { [CLAUDE_CODE_EVENT_TOOL_RESULT]: [ATTR_CLAUDE_CODE_TOOL_INPUT, ATTR_CLAUDE_CODE_TOOL_PARAMETERS] },
      successes: { [CLAUDE_CODE_EVENT_TOOL_RESULT]: ATTR_CLAUDE_CODE_SUCCESS },
      errors: { [CLAUDE_CODE_EVENT_TOOL_RESULT]: ATTR_CLAUDE_CODE_ERROR },
      spanEventOutputs: {
        [CLAUDE_CODE_SPAN_EVENT_TOOL_OUTPUT]: [
          ATTR_CLAUDE_CODE_TOOL_OUTPUT_OUTPUT,
          ATTR_CLAUDE_CODE_TOOL_OUTPUT_CONTENT,
          ATTR_CLAUDE_CODE_TOOL_OUTPUT_DIFF,
        ],
      },
    },
  ],
};
