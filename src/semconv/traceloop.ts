/** Traceloop / OpenLLMetry span attributes (older gen_ai.* names included). */

export const ATTR_TRACELOOP_SPAN_KIND = 'traceloop.span.kind';
export const ATTR_TRACELOOP_ENTITY_NAME = 'traceloop.entity.name';
export const ATTR_TRACELOOP_ENTITY_INPUT = 'traceloop.entity.input';
export const ATTR_TRACELOOP_ENTITY_OUTPUT = 'traceloop.entity.output';
export const ATTR_TRACELOOP_SESSION_ID = 'traceloop.association.properties.session_id';
export const ATTR_TRACELOOP_USER_ID = 'traceloop.association.properties.user_id';
/** chat | completion | embedding | rerank: the model-call kind on LLM spans, which carry no span kind. */
export const ATTR_LLM_REQUEST_TYPE = 'llm.request.type';
export const ATTR_LLM_USAGE_TOTAL_TOKENS = 'llm.usage.total_tokens';

export const ATTR_TRACELOOP_USAGE_REASONING_TOKENS = 'gen_ai.usage.reasoning_tokens';
export const ATTR_TRACELOOP_USAGE_CACHE_READ_INPUT_TOKENS = 'gen_ai.usage.cache_read_input_tokens';
export const ATTR_TRACELOOP_USAGE_CACHE_CREATION_INPUT_TOKENS = 'gen_ai.usage.cache_creation_input_tokens';
export const ATTR_TRACELOOP_USAGE_TOTAL_TOKENS = 'gen_ai.usage.total_tokens';
export const ATTR_TRACELOOP_USAGE_COST = 'gen_ai.usage.cost';
export const ATTR_TRACELOOP_USAGE_INPUT_COST = 'gen_ai.usage.input_cost';
export const ATTR_TRACELOOP_USAGE_OUTPUT_COST = 'gen_ai.usage.output_cost';

/** Indexed prompt/completion attributes: `gen_ai.prompt.<N>.content`, `gen_ai.completion.<N>.role`, ... */
export const TRACELOOP_PROMPT_PREFIX = 'gen_ai.prompt.';
export const TRACELOOP_COMPLETION_PREFIX = 'gen_ai.completion.';

export const TRACELOOP_SPAN_KIND_VALUE_WORKFLOW = 'workflow';
export const TRACELOOP_SPAN_KIND_VALUE_TASK = 'task';
export const TRACELOOP_SPAN_KIND_VALUE_AGENT = 'agent';
export const TRACELOOP_SPAN_KIND_VALUE_TOOL = 'tool';
