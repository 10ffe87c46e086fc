/** Row shapes of the rollup queries (read with safe integers) and their conversions. */

import type { UsageNode } from '../../model/rollup.js';
import type { StepType } from '../../model/types.js';
import { tokenUsageOf } from '../../model/usage.js';
import type { Facts } from '../common/session-delta.js';

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

/** A span's usage as the rollup reads it: raw, integers as numbers. */
export type UsageRow = [
  traceId: string,
  spanId: string,
  parentSpanId: string | null,
  stepType: string,
  input: number | null,
  output: number | null,
  reasoning: number | null,
  cacheRead: number | null,
  cacheWrite: number | null,
  total: number | null,
];

export function usageNodeOf(row: UsageRow): UsageNode {
  const [traceId, spanId, parentSpanId, stepType, input, output, reasoning, cacheRead, cacheWrite, total] = row;
  const usage = tokenUsageOf(input, output, reasoning, cacheRead, cacheWrite, total);
  return { traceId, spanId, parentSpanId, stepType: stepType as StepType, usage };
}
