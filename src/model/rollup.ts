/**
 * Rollup rules: what one span adds to its session, and what a session's
 * status is. Pure functions; stores persist their results.
 *
 * Tokens and cost come only from model-call spans (`stepType = llm`). Agent
 * and workflow spans often repeat the usage of the calls below them; that
 * usage is kept on the span as reported and only compared (`usageMismatch`),
 * never added, so a session is not counted twice.
 */

import type { SessionStatus, SpanRecord, StepType, TokenTotals, TokenUsage } from './types.js';

/** What one span adds to its session's rollup. */
export interface SpanContribution {
  llmCall: boolean;
  toolCall: boolean;
  error: boolean;
  /** No end yet (the store separately knows whether it was interrupted). */
  open: boolean;
  /** Zero unless the span is a model call. */
  tokens: TokenTotals;
  /** `usageTotal` of a model call, else 0. */
  totalTokens: number;
  suppliedCostUsd: number;
  computedCostUsd: number;
  /** A model call with no cost supplied and no price known. */
  unpriced: boolean;
  /** The model a model call used (response model first), else null. */
  model: string | null;
  /** An agent/workflow span that reports usage of its own: compared, never summed. */
  reportsAggregateUsage: boolean;
}

const AGGREGATE_STEP_TYPES: ReadonlySet<StepType> = new Set<StepType>(['agent', 'workflow']);

export function zeroTokens(): TokenTotals {
  return { input: 0, output: 0, reasoning: 0, cacheRead: 0, cacheWrite: 0 };
}

/** The model a span names: the one that answered, else the one asked for. */
export function spanModel(record: Pick<SpanRecord, 'responseModel' | 'requestModel'>): string | null {
  return record.responseModel ?? record.requestModel ?? null;
}

export function hasUsage(usage: TokenUsage): boolean {
  return (
    usage.input !== undefined ||
    usage.output !== undefined ||
    usage.reasoning !== undefined ||
    usage.cacheRead !== undefined ||
    usage.cacheWrite !== undefined ||
    usage.total !== undefined
  );
}

/**
 * Total tokens of one span: the reported total, else input + output.
 * Reasoning and cache tokens are not added: providers report them as parts
 * of output and input respectively.
 */
export function usageTotal(usage: TokenUsage): number {
  if (usage.total !== undefined) return usage.total;
  return (usage.input ?? 0) + (usage.output ?? 0);
}

export function spanContribution(record: SpanRecord): SpanContribution {
  const llmCall = record.stepType === 'llm';
  const usage = record.usage;
  const tokens = llmCall
    ? {
        input: usage.input ?? 0,
        output: usage.output ?? 0,
        reasoning: usage.reasoning ?? 0,
        cacheRead: usage.cacheRead ?? 0,
        cacheWrite: usage.cacheWrite ?? 0,
      }
    : zeroTokens();
  const cost = llmCall ? record.cost : null;
  return {
    llmCall,
    toolCall: record.stepType === 'tool',
    error: record.isError,
    open: record.endTimeUnixNano === null,
    tokens,
    totalTokens: llmCall ? usageTotal(usage) : 0,
    suppliedCostUsd: cost?.source === 'supplied' ? cost.usd : 0,
    computedCostUsd: cost?.source === 'computed' ? cost.usd : 0,
    unpriced: llmCall && record.unpriced,
    model: llmCall ? spanModel(record) : null,
    reportsAggregateUsage: AGGREGATE_STEP_TYPES.has(record.stepType) && hasUsage(usage),
  };
}

export interface SessionStatusInput {
  /** Steps with no end that were not interrupted. */
  openCount: number;
  interruptedCount: number;
  /** Error steps whose parent is not in the session. */
  rootErrorCount: number;
}

/** Interrupted wins over running, running over failed, failed over completed. */
export function sessionStatus(input: SessionStatusInput): SessionStatus {
  if (input.interruptedCount > 0) return 'interrupted';
  if (input.openCount > 0) return 'running';
  if (input.rootErrorCount > 0) return 'failed';
  return 'completed';
}

/** The fields of a span that `usageMismatch` looks at. */
export interface UsageNode {
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  stepType: StepType;
  usage: TokenUsage;
}

const USAGE_KINDS = ['input', 'output', 'reasoning', 'cacheRead', 'cacheWrite'] as const;

/**
 * True when an agent/workflow span reports usage that differs from the sum of
 * the model calls below it (within the given spans). Only the kinds the
 * aggregate span reports are compared; `total` against `usageTotal` of the calls.
 */
export function usageMismatch(nodes: readonly UsageNode[]): boolean {
  // Nothing reports aggregate usage among these spans: nothing to compare (most traces of such a session).
  if (!nodes.some(reportsAggregate)) return false;
  // Each span's `trace/span` key once (the tree's links are by these keys), and its parent's.
  const n = nodes.length;
  const keys = new Array<string>(n);
  for (let i = 0; i < n; i++) keys[i] = `${nodes[i].traceId}/${nodes[i].spanId}`;
  const present = new Set(keys);
  const children = new Map<string, number[]>();
  for (let i = 0; i < n; i++) {
    const node = nodes[i];
    if (node.parentSpanId === null) continue;
    const parentKey = `${node.traceId}/${node.parentSpanId}`;
    if (!present.has(parentKey)) continue;
    const list = children.get(parentKey);
    if (list) list.push(i);
    else children.set(parentKey, [i]);
  }
  interface Sum {
    tokens: TokenTotals;
    total: number;
  }
  const sums = new Map<string, Sum>();
  const NONE: readonly number[] = [];
  // Iterative post-order so a deep chain cannot overflow the stack; `visiting` guards against cycles.
  const sumOf = (root: number): Sum => {
    const stack: { node: number; expanded: boolean }[] = [{ node: root, expanded: false }];
    const visiting = new Set<string>();
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      const k = keys[top.node];
      if (sums.has(k)) {
        stack.pop();
        continue;
      }
      const below = children.get(k) ?? NONE;
      if (!top.expanded) {
        top.expanded = true;
        visiting.add(k);
        for (const child of below) {
          const ck = keys[child];
          if (!sums.has(ck) && !visiting.has(ck)) stack.push({ node: child, expanded: false });
        }
        continue;
      }
      stack.pop();
      const sum: Sum = { tokens: zeroTokens(), total: 0 };
      const node = nodes[top.node];
      if (node.stepType === 'llm') {
        for (const kind of USAGE_KINDS) sum.tokens[kind] += node.usage[kind] ?? 0;
        sum.total += usageTotal(node.usage);
      }
      for (const child of below) {
        const childSum = sums.get(keys[child]);
        if (!childSum) continue;
        for (const kind of USAGE_KINDS) sum.tokens[kind] += childSum.tokens[kind];
        sum.total += childSum.total;
      }
      sums.set(k, sum);
    }
    return sums.get(keys[root]) ?? { tokens: zeroTokens(), total: 0 };
  };
  for (let i = 0; i < n; i++) {
    const node = nodes[i];
    if (!reportsAggregate(node)) continue;
    const below: Sum = { tokens: zeroTokens(), total: 0 };
    for (const child of children.get(keys[i]) ?? NONE) {
      const s = sumOf(child);
      for (const kind of USAGE_KINDS) below.tokens[kind] += s.tokens[kind];
      below.total += s.total;
    }
    for (const kind of USAGE_KINDS) {
      const reported = node.usage[kind];
      if (reported !== undefined && reported !== below.tokens[kind]) return true;
    }
    if (node.usage.total !== undefined && node.usage.total !== below.total) return true;
  }
  return false;
}

const reportsAggregate = (node: UsageNode): boolean => AGGREGATE_STEP_TYPES.has(node.stepType) && hasUsage(node.usage);
