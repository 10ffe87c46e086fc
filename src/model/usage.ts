/**
 * Token usage and supplied cost from scanned slots, and the providers' own
 * token-count conventions brought to Skein's.
 *
 * Normalized `TokenUsage` follows the OTel GenAI convention: `input` includes
 * cache reads and writes, `output` includes reasoning. Per dialect:
 * - OTel GenAI, Traceloop/OpenLLMetry, OpenInference, Vercel AI SDK: already so
 *   (their instrumentations report the provider's total prompt/completion
 *   counts, cache and reasoning as subsets), taken as reported.
 * - Langfuse `usage_details`: keys are disjoint buckets that Langfuse prices
 *   one by one (`input` excludes `input_cached_tokens`, `output` excludes
 *   `output_reasoning_tokens`), so the buckets are added back together.
 */

import { toTokenCount, toUsd } from './coerce.js';
import { parseMaybeJson } from './content.js';
import { S } from './dialect-slots.js';
import type { NormalizeCounts, TokenUsage } from './types.js';

type Slots = unknown[];

export function resolveUsage(values: Slots, counts: NormalizeCounts): TokenUsage {
  const usage: TokenUsage = {};
  // Token slots hold numbers or undefined; read them in precedence order with `??`.
  const counted = values as (number | undefined)[];
  const input =
    counted[S.inputGenAi] ?? counted[S.inputGenAiDeprecated] ?? counted[S.inputOpenInference] ?? counted[S.inputVercel] ?? counted[S.inputVercelV4];
  const output =
    counted[S.outputGenAi] ?? counted[S.outputGenAiDeprecated] ?? counted[S.outputOpenInference] ?? counted[S.outputVercel] ?? counted[S.outputVercelV4];
  const reasoning =
    counted[S.reasoningGenAi] ?? counted[S.reasoningOpenInference] ?? counted[S.reasoningTraceloop] ?? counted[S.reasoningVercel];
  const cacheRead =
    counted[S.cacheReadGenAi] ?? counted[S.cacheReadOpenInference] ?? counted[S.cacheReadTraceloop] ?? counted[S.cacheReadVercel];
  const cacheWrite =
    counted[S.cacheWriteGenAi] ?? counted[S.cacheWriteOpenInference] ?? counted[S.cacheWriteTraceloop];
  const total =
    counted[S.totalOpenInference] ?? counted[S.totalTraceloop] ?? counted[S.totalLlmUsage] ?? counted[S.totalVercel];
  if (input !== undefined) usage.input = input;
  if (output !== undefined) usage.output = output;
  if (reasoning !== undefined) usage.reasoning = reasoning;
  if (cacheRead !== undefined) usage.cacheRead = cacheRead;
  if (cacheWrite !== undefined) usage.cacheWrite = cacheWrite;
  if (total !== undefined) usage.total = total;
  const details = values[S.usageDetailsLangfuse];
  if (details !== undefined) fillFromLangfuse(usage, details, counts);
  return usage;
}

/**
 * How a provider's own usage counts relate to `TokenUsage` (where input
 * includes cache reads and writes and output includes reasoning).
 */
export interface TokenCountConvention {
  /** Whether the reported input count already includes the cache reads and writes reported beside it. */
  inputIncludesCache: boolean;
  /** Whether the reported output count already includes the reasoning count reported beside it. */
  outputIncludesReasoning: boolean;
}

/**
 * - `anthropic`: Messages API `usage.input_tokens` (and Claude Code's
 *   `input_tokens`) excludes `cache_read_input_tokens` and
 *   `cache_creation_input_tokens`; thinking is inside `output_tokens`.
 * - `openai`: `input_tokens` / `prompt_tokens` include
 *   `cached_tokens`; `output_tokens` includes `reasoning_tokens` (Codex's
 *   `input_token_count` / `cached_token_count` / `reasoning_token_count` too).
 * - `gemini`: `promptTokenCount` includes `cachedContentTokenCount`;
 *   `candidatesTokenCount` excludes `thoughtsTokenCount` (Gemini CLI's
 *   `input_token_count`, `output_token_count`, `thoughts_token_count`).
 */
export const TOKEN_CONVENTIONS = {
  anthropic: { inputIncludesCache: false, outputIncludesReasoning: true },
  openai: { inputIncludesCache: true, outputIncludesReasoning: true },
  gemini: { inputIncludesCache: true, outputIncludesReasoning: false },
} as const satisfies Record<string, TokenCountConvention>;

/** A provider's convention by name: what an agent table names (`AgentTable.tokenConvention`). */
export type TokenConventionName = keyof typeof TOKEN_CONVENTIONS;

/**
 * `counts` as a provider reported them, brought to `TokenUsage`: cache
 * tokens added to an input that excluded them, reasoning added to an output
 * that excluded it. Absent counts stay absent; `total` is kept as reported.
 * Apply once, where a provider's raw counts are read, so that a count is
 * never added twice.
 */
export function tokenUsageFromProvider(
  counts: TokenUsage,
  convention: TokenCountConvention | TokenConventionName,
): TokenUsage {
  const { inputIncludesCache, outputIncludesReasoning } = typeof convention === 'string' ? TOKEN_CONVENTIONS[convention] : convention;
  const usage: TokenUsage = {};
  const { input, output, cacheRead, cacheWrite, reasoning, total } = counts;
  const hasCache = cacheRead !== undefined || cacheWrite !== undefined;
  if (input !== undefined || (!inputIncludesCache && hasCache)) {
    usage.input = inputIncludesCache ? input : (input ?? 0) + (cacheRead ?? 0) + (cacheWrite ?? 0);
  }
  if (output !== undefined || (!outputIncludesReasoning && reasoning !== undefined)) {
    usage.output = outputIncludesReasoning ? output : (output ?? 0) + (reasoning ?? 0);
  }
  if (cacheRead !== undefined) usage.cacheRead = cacheRead;
  if (cacheWrite !== undefined) usage.cacheWrite = cacheWrite;
  if (reasoning !== undefined) usage.reasoning = reasoning;
  if (total !== undefined) usage.total = total;
  return usage;
}

const LANGFUSE_CACHE_READ_KEYS = new Set(['input_cached_tokens', 'input_cache_read', 'cache_read_input_tokens']);
const LANGFUSE_CACHE_WRITE_KEYS = new Set(['input_cache_creation', 'input_cache_write', 'cache_creation_input_tokens']);
const LANGFUSE_REASONING_KEYS = new Set(['output_reasoning_tokens', 'output_reasoning', 'reasoning_tokens']);

/** Fills only what the span's own usage attributes did not report. */
function fillFromLangfuse(usage: TokenUsage, raw: unknown, counts: NormalizeCounts): void {
  const details = parseMaybeJson(raw);
  if (!isRecord(details)) {
    counts.dropped++;
    return;
  }
  let input: number | undefined;
  let output: number | undefined;
  let total: number | undefined;
  let cacheRead: number | undefined;
  let cacheWrite: number | undefined;
  let reasoning: number | undefined;
  let otherInput = 0;
  let otherOutput = 0;
  for (const key of Object.keys(details)) {
    const count = toTokenCount(details[key], counts);
    if (count === undefined) continue;
    if (key === 'input') input = count;
    else if (key === 'output') output = count;
    else if (key === 'total') total = count;
    else if (LANGFUSE_CACHE_READ_KEYS.has(key)) cacheRead = (cacheRead ?? 0) + count;
    else if (LANGFUSE_CACHE_WRITE_KEYS.has(key)) cacheWrite = (cacheWrite ?? 0) + count;
    else if (LANGFUSE_REASONING_KEYS.has(key)) reasoning = (reasoning ?? 0) + count;
    else if (key.startsWith('input')) otherInput += count;
    else if (key.startsWith('output')) otherOutput += count;
  }
  const hasInput = input !== undefined || cacheRead !== undefined || cacheWrite !== undefined || otherInput > 0;
  const hasOutput = output !== undefined || reasoning !== undefined || otherOutput > 0;
  if (usage.input === undefined && hasInput) usage.input = (input ?? 0) + (cacheRead ?? 0) + (cacheWrite ?? 0) + otherInput;
  if (usage.output === undefined && hasOutput) usage.output = (output ?? 0) + (reasoning ?? 0) + otherOutput;
  if (usage.cacheRead === undefined && cacheRead !== undefined) usage.cacheRead = cacheRead;
  if (usage.cacheWrite === undefined && cacheWrite !== undefined) usage.cacheWrite = cacheWrite;
  if (usage.reasoning === undefined && reasoning !== undefined) usage.reasoning = reasoning;
  if (usage.total === undefined && total !== undefined) usage.total = total;
}

/**
 * Cost the span carried, first present of: `gen_ai.usage.cost`,
 * `llm.cost.total`, `llm.cost.prompt` + `completion`,
 * `gen_ai.usage.input_cost` + `output_cost`, Langfuse `cost_details`
 * (`total`, else the sum of its parts).
 */
export function resolveSuppliedCost(values: Slots, counts: NormalizeCounts): number | undefined {
  const counted = values as (number | undefined)[];
  const direct = counted[S.costTraceloop] ?? counted[S.costTotalOpenInference];
  if (direct !== undefined) return direct;
  const parts =
    sumPresent(values[S.costPromptOpenInference], values[S.costCompletionOpenInference]) ??
    sumPresent(values[S.costInputTraceloop], values[S.costOutputTraceloop]);
  if (parts !== undefined) return parts;
  const details = values[S.costDetailsLangfuse];
  return details === undefined ? undefined : langfuseCost(details, counts);
}

function sumPresent(a: unknown, b: unknown): number | undefined {
  if (a === undefined && b === undefined) return undefined;
  return ((a as number | undefined) ?? 0) + ((b as number | undefined) ?? 0);
}

function langfuseCost(raw: unknown, counts: NormalizeCounts): number | undefined {
  const details = parseMaybeJson(raw);
  if (!isRecord(details)) {
    const amount = toUsd(details, counts);
    return amount;
  }
  if (details.total !== undefined) {
    const total = toUsd(details.total, counts);
    if (total !== undefined) return total;
  }
  let sum: number | undefined;
  for (const key of Object.keys(details)) {
    if (key === 'total') continue;
    const amount = toUsd(details[key], counts);
    if (amount !== undefined) sum = (sum ?? 0) + amount;
  }
  return sum;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

/** Usage from its six stored token counts (null: not reported), as the store's columns and rows hold them. */
export function tokenUsageOf(
  input: number | null,
  output: number | null,
  reasoning: number | null,
  cacheRead: number | null,
  cacheWrite: number | null,
  total: number | null,
): TokenUsage {
  const usage: TokenUsage = {};
  if (input !== null) usage.input = input;
  if (output !== null) usage.output = output;
  if (reasoning !== null) usage.reasoning = reasoning;
  if (cacheRead !== null) usage.cacheRead = cacheRead;
  if (cacheWrite !== null) usage.cacheWrite = cacheWrite;
  if (total !== null) usage.total = total;
  return usage;
}

