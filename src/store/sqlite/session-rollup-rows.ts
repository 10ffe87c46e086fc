/** Row shapes of the rollup queries (read with safe integers) and their conversions. */

import type { TokenUsage } from '../../model/types.js';
import type { Facts } from './session-delta.js';

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

export interface StoredSessionRow {
  first_start_ns: bigint;
  max_end_ns: bigint | null;
  last_activity_ns: bigint;
  span_count: bigint;
  llm_call_count: bigint;
  tool_call_count: bigint;
  error_count: bigint;
  open_count: bigint;
  interrupted_count: bigint;
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
  agent_name: string | null;
  user_id: string | null;
  trace_ids: string;
}

export function factsOfSessionRow(row: StoredSessionRow): Facts {
  return {
    spanCount: Number(row.span_count),
    llmCallCount: Number(row.llm_call_count),
    toolCallCount: Number(row.tool_call_count),
    errorCount: Number(row.error_count),
    openCount: Number(row.open_count),
    interruptedCount: Number(row.interrupted_count),
    inputTokens: Number(row.input_tokens),
    outputTokens: Number(row.output_tokens),
    reasoningTokens: Number(row.reasoning_tokens),
    cacheReadTokens: Number(row.cache_read_tokens),
    cacheWriteTokens: Number(row.cache_write_tokens),
    totalTokens: Number(row.total_tokens),
    suppliedCostUsd: row.supplied_cost_usd,
    computedCostUsd: row.computed_cost_usd,
    unpricedCallCount: Number(row.unpriced_call_count),
    aggregateUsageCount: Number(row.aggregate_usage_count),
    internalCount: Number(row.internal_count),
  };
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
