/**
 * What a batch changes in each session's additive rollup, gathered in memory
 * during the write transaction and applied once per session at its end.
 *
 * A span's facts are its contribution (model/rollup.ts) as numbers; writing
 * a span adds new-minus-old facts, so rewriting an identical span adds
 * exactly zero and an open step completed by its end moves from `openCount`
 * to the totals.
 */

import type { SpanContribution } from '../../model/rollup.js';
import type { TokenTotals } from '../../model/types.js';

export const FACT_KEYS = [
  'spanCount',
  'llmCallCount',
  'toolCallCount',
  'errorCount',
  'openCount',
  'interruptedCount',
  'inputTokens',
  'outputTokens',
  'reasoningTokens',
  'cacheReadTokens',
  'cacheWriteTokens',
  'totalTokens',
  'suppliedCostUsd',
  'computedCostUsd',
  'unpricedCallCount',
  'aggregateUsageCount',
  /** Spans marked internal (an agent's plumbing): a session of only those is not listed by default. */
  'internalCount',
] as const;

export type FactKey = (typeof FACT_KEYS)[number];
export type Facts = Record<FactKey, number>;

/** The `sessions` column of each fact (the same names in both backends' schemas). */
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

export function zeroFacts(): Facts {
  const facts = {} as Facts;
  for (const key of FACT_KEYS) facts[key] = 0;
  return facts;
}

/** The contribution columns of a stored span, as selected by the writer. */
export interface StoredFactsRow {
  end_ns: bigint | null;
  interrupted: bigint;
  is_error: bigint;
  c_llm: bigint;
  c_tool: bigint;
  c_input: bigint;
  c_output: bigint;
  c_reasoning: bigint;
  c_cache_read: bigint;
  c_cache_write: bigint;
  c_total: bigint;
  c_supplied_usd: number;
  c_computed_usd: number;
  c_unpriced: bigint;
  c_aggregate_usage: bigint;
  internal: bigint;
}

export function factsOfRow(row: StoredFactsRow): Facts {
  const interrupted = row.interrupted === 1n;
  return {
    spanCount: 1,
    llmCallCount: Number(row.c_llm),
    toolCallCount: Number(row.c_tool),
    errorCount: row.internal === 1n ? 0 : Number(row.is_error),
    openCount: row.end_ns === null && !interrupted ? 1 : 0,
    interruptedCount: interrupted ? 1 : 0,
    inputTokens: Number(row.c_input),
    outputTokens: Number(row.c_output),
    reasoningTokens: Number(row.c_reasoning),
    cacheReadTokens: Number(row.c_cache_read),
    cacheWriteTokens: Number(row.c_cache_write),
    totalTokens: Number(row.c_total),
    suppliedCostUsd: row.c_supplied_usd,
    computedCostUsd: row.c_computed_usd,
    unpricedCallCount: Number(row.c_unpriced),
    aggregateUsageCount: Number(row.c_aggregate_usage),
    internalCount: Number(row.internal),
  };
}

export interface ModelDelta {
  calls: number;
  inputTokens: number;
  outputTokens: number;
  reasoningTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  costUsd: number;
}

/** A model's delta that changes nothing (a call written again as it was). */
export function isZeroModelDelta(m: ModelDelta): boolean {
  return (
    m.calls === 0 &&
    m.inputTokens === 0 &&
    m.outputTokens === 0 &&
    m.reasoningTokens === 0 &&
    m.cacheReadTokens === 0 &&
    m.cacheWriteTokens === 0 &&
    m.costUsd === 0
  );
}

export interface SessionDelta {
  facts: Facts;
  /** Earliest start and latest start/end among spans added by the batch. */
  minStartNs: bigint | null;
  maxActivityNs: bigint | null;
  maxEndNs: bigint | null;
  traceIds: Set<string>;
  /** A span naming an agent or user arrived: look the session's first ones up again. */
  refreshNames: boolean;
  models: Map<string, ModelDelta>;
}

const minOf = (a: bigint | null, b: bigint): bigint => (a === null || b < a ? b : a);
const maxOf = (a: bigint | null, b: bigint): bigint => (a === null || b > a ? b : a);

/** Per-session deltas of one batch, plus the sessions that need a full recompute instead. */
export class BatchDeltas {
  readonly deltas = new Map<string, SessionDelta>();
  readonly needsRecompute = new Set<string>();

  private deltaOf(sessionId: string): SessionDelta {
    let delta = this.deltas.get(sessionId);
    if (!delta) {
      delta = {
        facts: zeroFacts(),
        minStartNs: null,
        maxActivityNs: null,
        maxEndNs: null,
        traceIds: new Set(),
        refreshNames: false,
        models: new Map(),
      };
      this.deltas.set(sessionId, delta);
    }
    return delta;
  }

  add(
    sessionId: string,
    facts: Facts,
    sign: 1 | -1,
    model: string | null,
  ): void {
    const delta = this.deltaOf(sessionId);
    for (const key of FACT_KEYS) delta.facts[key] += sign * facts[key];
    if (model !== null && facts.llmCallCount > 0) {
      const tokens = {
        input: facts.inputTokens,
        output: facts.outputTokens,
        reasoning: facts.reasoningTokens,
        cacheRead: facts.cacheReadTokens,
        cacheWrite: facts.cacheWriteTokens,
      };
      this.addModel(sessionId, model, sign, tokens, facts.suppliedCostUsd + facts.computedCostUsd);
    }
  }

  private addModel(sessionId: string, model: string, sign: 1 | -1, tokens: TokenTotals, costUsd: number): void {
    const delta = this.deltaOf(sessionId);
    let m = delta.models.get(model);
    if (!m) {
      m = { calls: 0, inputTokens: 0, outputTokens: 0, reasoningTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, costUsd: 0 };
      delta.models.set(model, m);
    }
    m.calls += sign;
    m.inputTokens += sign * tokens.input;
    m.outputTokens += sign * tokens.output;
    m.reasoningTokens += sign * tokens.reasoning;
    m.cacheReadTokens += sign * tokens.cacheRead;
    m.cacheWriteTokens += sign * tokens.cacheWrite;
    m.costUsd += sign * costUsd;
  }

  /**
   * A span's contribution added to its session: what `add` would add for
   * the span's facts, without a facts object (one per span written, the
   * commonest add by far).
   */
  addContribution(sessionId: string, c: SpanContribution, internal: boolean): void {
    const facts = this.deltaOf(sessionId).facts;
    facts.spanCount += 1;
    if (c.llmCall) facts.llmCallCount += 1;
    if (c.toolCall) facts.toolCallCount += 1;
    // An internal span is no step: its failure is kept on it, not counted as the session's.
    if (c.error && !internal) facts.errorCount += 1;
    if (c.open) facts.openCount += 1;
    facts.inputTokens += c.tokens.input;
    facts.outputTokens += c.tokens.output;
    facts.reasoningTokens += c.tokens.reasoning;
    facts.cacheReadTokens += c.tokens.cacheRead;
    facts.cacheWriteTokens += c.tokens.cacheWrite;
    facts.totalTokens += c.totalTokens;
    facts.suppliedCostUsd += c.suppliedCostUsd;
    facts.computedCostUsd += c.computedCostUsd;
    if (c.unpriced) facts.unpricedCallCount += 1;
    if (c.reportsAggregateUsage) facts.aggregateUsageCount += 1;
    if (internal) facts.internalCount += 1;
    if (c.model !== null && c.llmCall) this.addModel(sessionId, c.model, 1, c.tokens, c.suppliedCostUsd + c.computedCostUsd);
  }

  /** Times and names of a span written into the session. */
  observe(sessionId: string, traceId: string, startNs: bigint, endNs: bigint | null, named: boolean): void {
    const delta = this.deltaOf(sessionId);
    delta.minStartNs = minOf(delta.minStartNs, startNs);
    delta.maxActivityNs = maxOf(delta.maxActivityNs, endNs !== null && endNs > startNs ? endNs : startNs);
    if (endNs !== null) delta.maxEndNs = maxOf(delta.maxEndNs, endNs);
    delta.traceIds.add(traceId);
    if (named) delta.refreshNames = true;
  }

  recompute(sessionId: string): void {
    this.needsRecompute.add(sessionId);
  }
}
