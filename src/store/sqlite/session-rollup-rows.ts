/** Row shapes of the rollup queries (read with safe integers) and their conversions. */

import type { TokenUsage } from '../../model/types.js';
import type { FactKey, Facts } from './session-delta.js';

/** The `sessions` column of each fact. */
export const FACT_COLUMNS: Record<FactKey, string> = {
  spanCount: 'span_count',
  llmCallCount: 'llm_call_count',
  toolCallCount: 'tool_call_count',
  errorCount: 'error_count',
  openCount: 'open_count',
  interruptedCount: 'interrupted_count',
  inputTokens: 'input_tokens',
  outputTokens: 'output_tokens',
  reasoningTokens: 'reasoning_tokens',
  cacheReadTokens: 'cache_read_tokens',
  cacheWriteTokens: 'cache_write_tokens',
  totalTokens: 'total_tokens',
  suppliedCostUsd: 'supplied_cost_usd',
  computedCostUsd: 'computed_cost_usd',
  unpricedCallCount: 'unpriced_call_count',
  aggregateUsageCount: 'aggregate_usage_count',
  internalCount: 'internal_count',
};

/** What the in-place increment of a session row returns (its values after the increment). */
export interface IncrementedRow {
  status: string;
  usage_mismatch: bigint;
  span_count: bigint;
  open_count: bigint;
  interrupted_count: bigint;
  error_count: bigint;
  aggregate_usage_count: bigint;
  internal_count: bigint;
}

/** The state `finish` turns into a sessions row. */
export interface SessionState {
  facts: Facts;
  firstStartNs: bigint;
  lastActivityNs: bigint;
  maxEndNs: bigint | null;
  traceIds: Iterable<string>;
  /** undefined: look them up from the spans. */
  names?: { agentName: string | null; userId: string | null };
}

export interface AggregateRow {
  span_count: bigint;
  first_start_ns: bigint | null;
  max_start_ns: bigint | null;
  max_end_ns: bigint | null;
  open_count: bigint;
  interrupted_count: bigint;
  llm_call_count: bigint;
  tool_call_count: bigint;
  error_count: bigint;
  input_tokens: bigint;
  output_tokens: bigint;
  reasoning_tokens: bigint;
  cache_read_tokens: bigint;
  cache_write_tokens: bigint;
  total_tokens: bigint;
  supplied_cost_usd: number;
  computed_cost_usd: number;
  unpriced_call_count: bigint;
  aggregate_usage_count: bigint;
  internal_count: bigint;
  trace_ids: string | null;
}

export interface UsageRow {
  trace_id: string;
  span_id: string;
  parent_span_id: string | null;
  step_type: string;
  usage_input: bigint | null;
  usage_output: bigint | null;
  usage_reasoning: bigint | null;
  usage_cache_read: bigint | null;
  usage_cache_write: bigint | null;
  usage_total: bigint | null;
}

export function usageOf(row: UsageRow): TokenUsage {
  const usage: TokenUsage = {};
  if (row.usage_input !== null) usage.input = Number(row.usage_input);
  if (row.usage_output !== null) usage.output = Number(row.usage_output);
  if (row.usage_reasoning !== null) usage.reasoning = Number(row.usage_reasoning);
  if (row.usage_cache_read !== null) usage.cacheRead = Number(row.usage_cache_read);
  if (row.usage_cache_write !== null) usage.cacheWrite = Number(row.usage_cache_write);
  if (row.usage_total !== null) usage.total = Number(row.usage_total);
  return usage;
}
