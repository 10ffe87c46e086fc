/** Langfuse OTel span attributes. */

export const ATTR_LANGFUSE_SESSION_ID = 'langfuse.session.id';
export const ATTR_LANGFUSE_USER_ID = 'langfuse.user.id';
/** generation | embedding | agent | tool | chain | retriever | evaluator | guardrail | span | event */
export const ATTR_LANGFUSE_OBSERVATION_TYPE = 'langfuse.observation.type';
export const ATTR_LANGFUSE_OBSERVATION_MODEL = 'langfuse.observation.model.name';
export const ATTR_LANGFUSE_OBSERVATION_INPUT = 'langfuse.observation.input';
export const ATTR_LANGFUSE_OBSERVATION_OUTPUT = 'langfuse.observation.output';
/** DEBUG | DEFAULT | WARNING | ERROR */
export const ATTR_LANGFUSE_OBSERVATION_LEVEL = 'langfuse.observation.level';
/**
 * JSON object of token counts by usage type. Langfuse prices each key on its
 * own, so the keys are disjoint: `input` excludes cached tokens and `output`
 * excludes reasoning tokens when those are given separately.
 */
export const ATTR_LANGFUSE_USAGE_DETAILS = 'langfuse.observation.usage_details';
/** JSON object of USD by usage type, with an optional `total`. */
export const ATTR_LANGFUSE_COST_DETAILS = 'langfuse.observation.cost_details';
