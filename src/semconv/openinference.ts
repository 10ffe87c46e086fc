/** OpenInference (Arize Phoenix) span attributes. */

export const ATTR_OPENINFERENCE_SPAN_KIND = 'openinference.span.kind';
/** Includes cache reads/writes; `prompt_details` is a breakdown of it. */
export const ATTR_LLM_TOKEN_COUNT_PROMPT = 'llm.token_count.prompt';
/** Includes reasoning; `completion_details` is a breakdown of it. */
export const ATTR_LLM_TOKEN_COUNT_COMPLETION = 'llm.token_count.completion';
export const ATTR_LLM_TOKEN_COUNT_TOTAL = 'llm.token_count.total';
export const ATTR_LLM_TOKEN_COUNT_PROMPT_CACHE_READ = 'llm.token_count.prompt_details.cache_read';
export const ATTR_LLM_TOKEN_COUNT_PROMPT_CACHE_WRITE = 'llm.token_count.prompt_details.cache_write';
export const ATTR_LLM_TOKEN_COUNT_COMPLETION_REASONING = 'llm.token_count.completion_details.reasoning';
export const ATTR_LLM_COST_PROMPT = 'llm.cost.prompt';
export const ATTR_LLM_COST_COMPLETION = 'llm.cost.completion';
export const ATTR_LLM_COST_TOTAL = 'llm.cost.total';
export const ATTR_LLM_MODEL_NAME = 'llm.model_name';
export const ATTR_LLM_PROVIDER = 'llm.provider';
export const ATTR_LLM_SYSTEM = 'llm.system';
/** Shared with the general OTel `session.id`. */
export const ATTR_SESSION_ID = 'session.id';
export const ATTR_USER_ID = 'user.id';
export const ATTR_INPUT_VALUE = 'input.value';
export const ATTR_OUTPUT_VALUE = 'output.value';
export const ATTR_TOOL_NAME = 'tool.name';
export const ATTR_TOOL_CALL_ID = 'tool_call.id';
export const ATTR_AGENT_NAME = 'agent.name';

export const OPENINFERENCE_SPAN_KIND_VALUE_LLM = 'LLM';
export const OPENINFERENCE_SPAN_KIND_VALUE_CHAIN = 'CHAIN';
export const OPENINFERENCE_SPAN_KIND_VALUE_TOOL = 'TOOL';
export const OPENINFERENCE_SPAN_KIND_VALUE_AGENT = 'AGENT';
export const OPENINFERENCE_SPAN_KIND_VALUE_RETRIEVER = 'RETRIEVER';
export const OPENINFERENCE_SPAN_KIND_VALUE_RERANKER = 'RERANKER';
export const OPENINFERENCE_SPAN_KIND_VALUE_EMBEDDING = 'EMBEDDING';
export const OPENINFERENCE_SPAN_KIND_VALUE_GUARDRAIL = 'GUARDRAIL';
export const OPENINFERENCE_SPAN_KIND_VALUE_EVALUATOR = 'EVALUATOR';
