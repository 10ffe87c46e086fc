/**
 * Step type from a dialect's operation or kind attribute. Never from the span
 * name: names are free text ("chat gpt-4o", "my_tool") and lie.
 */

import { STEP_TYPES } from './types.js';
import type { StepType } from './types.js';

type KindTable = ReadonlyMap<string, StepType>;

/** `gen_ai.operation.name`. Embeddings are billed model calls, so they are `llm` steps. */
export const GEN_AI_OPERATION_STEPS: KindTable = new Map<string, StepType>([
  ['chat', 'llm'],
  ['generate_content', 'llm'],
  ['text_completion', 'llm'],
  ['embeddings', 'llm'],
  ['retrieval', 'retrieval'],
  ['create_agent', 'agent'],
  ['invoke_agent', 'agent'],
  ['execute_tool', 'tool'],
  ['invoke_workflow', 'workflow'],
]);

/** `openinference.span.kind` (upper case on the wire; compared lower-cased). */
export const OPENINFERENCE_KIND_STEPS: KindTable = new Map<string, StepType>([
  ['llm', 'llm'],
  ['embedding', 'llm'],
  ['chain', 'workflow'],
  ['agent', 'agent'],
  ['tool', 'tool'],
  ['retriever', 'retrieval'],
  ['reranker', 'retrieval'],
  ['guardrail', 'other'],
  ['evaluator', 'other'],
  ['prompt', 'other'],
  ['unknown', 'other'],
]);

/** `traceloop.span.kind`. Traceloop marks model calls with `llm.request.type` instead. */
export const TRACELOOP_KIND_STEPS: KindTable = new Map<string, StepType>([
  ['workflow', 'workflow'],
  ['task', 'workflow'],
  ['agent', 'agent'],
  ['tool', 'tool'],
  ['unknown', 'other'],
]);

/** Traceloop `llm.request.type`. */
export const LLM_REQUEST_TYPE_STEPS: KindTable = new Map<string, StepType>([
  ['chat', 'llm'],
  ['completion', 'llm'],
  ['embedding', 'llm'],
  ['rerank', 'retrieval'],
]);

/**
 * Vercel AI SDK `ai.operationId`. The outer `ai.generateText` span runs the
 * model/tool loop, so it is the agent; the `do*` spans are the provider calls.
 */
export const VERCEL_OPERATION_STEPS: KindTable = new Map<string, StepType>([
  ['ai.generatetext', 'agent'],
  ['ai.streamtext', 'agent'],
  ['ai.generateobject', 'agent'],
  ['ai.streamobject', 'agent'],
  ['ai.generatetext.dogenerate', 'llm'],
  ['ai.streamtext.dostream', 'llm'],
  ['ai.generateobject.dogenerate', 'llm'],
  ['ai.streamobject.dostream', 'llm'],
  ['ai.embed', 'workflow'],
  ['ai.embedmany', 'workflow'],
  ['ai.embed.doembed', 'llm'],
  ['ai.embedmany.doembed', 'llm'],
  ['ai.toolcall', 'tool'],
]);

/** `langfuse.observation.type`. */
export const LANGFUSE_OBSERVATION_STEPS: KindTable = new Map<string, StepType>([
  ['generation', 'llm'],
  ['embedding', 'llm'],
  ['agent', 'agent'],
  ['tool', 'tool'],
  ['chain', 'workflow'],
  ['retriever', 'retrieval'],
  ['evaluator', 'other'],
  ['guardrail', 'other'],
  ['span', 'other'],
  ['event', 'other'],
]);

/** `skein.step.type`: any step type by its own name. */
export const SKEIN_STEPS: KindTable = new Map<string, StepType>(STEP_TYPES.map((step) => [step, step]));

/** The step type `value` stands for in `table`, or undefined when the value is not one the table knows. */
export function stepFrom(table: KindTable, value: string | undefined): StepType | undefined {
  if (value === undefined) return undefined;
  return table.get(value) ?? table.get(value.toLowerCase());
}
