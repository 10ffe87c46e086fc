/** A batch's per-session deltas (session-delta.ts): the per-span shortcut adds what the general add does. */

import { describe, expect, it } from 'vitest';
import type { SpanContribution } from '../../src/model/rollup.js';
import { BatchDeltas } from '../../src/store/common/session-delta.js';
import type { Facts } from '../../src/store/common/session-delta.js';

/** The facts of one span, spelled out: what `addContribution` must add. */
function factsOfContribution(c: SpanContribution, internal: boolean): Facts {
  return {
    spanCount: 1,
    llmCallCount: c.llmCall ? 1 : 0,
    toolCallCount: c.toolCall ? 1 : 0,
    // An internal span is no step: its failure is kept on it, not counted as the session's.
    errorCount: c.error && !internal ? 1 : 0,
    openCount: c.open ? 1 : 0,
    interruptedCount: 0,
    inputTokens: c.tokens.input,
    outputTokens: c.tokens.output,
    reasoningTokens: c.tokens.reasoning,
    cacheReadTokens: c.tokens.cacheRead,
    cacheWriteTokens: c.tokens.cacheWrite,
    totalTokens: c.totalTokens,
    suppliedCostUsd: c.suppliedCostUsd,
    computedCostUsd: c.computedCostUsd,
    unpricedCallCount: c.unpriced ? 1 : 0,
    aggregateUsageCount: c.reportsAggregateUsage ? 1 : 0,
    internalCount: internal ? 1 : 0,
  };
}

describe('BatchDeltas', () => {
  it('adds a span contribution as add(factsOfContribution) does, facts and per-model sums alike', () => {
    let seed = 5;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const flag = () => random() < 0.5;
    const tokens = () => Math.floor(random() * 1000);
    const viaAdd = new BatchDeltas();
    const viaContribution = new BatchDeltas();
    for (let i = 0; i < 500; i++) {
      const llmCall = flag();
      const c: SpanContribution = {
        llmCall,
        toolCall: !llmCall && flag(),
        error: flag(),
        open: flag(),
        tokens: { input: tokens(), output: tokens(), reasoning: tokens(), cacheRead: tokens(), cacheWrite: tokens() },
        totalTokens: tokens(),
        // Binary fractions and a decimal one: sums of either must come out bit for bit the same.
        suppliedCostUsd: flag() ? random() : 0.1,
        computedCostUsd: flag() ? 0 : random() / 3,
        unpriced: flag(),
        model: flag() ? null : ['gpt-4o', 'claude', 'gemini'][i % 3],
        reportsAggregateUsage: flag(),
      };
      const internal = random() < 0.2;
      const sessionId = `s${i % 4}`;
      viaAdd.add(sessionId, factsOfContribution(c, internal), 1, c.model);
      viaContribution.addContribution(sessionId, c, internal);
      if (i % 7 === 0) {
        // An earlier version of a span taken out again, between the adds.
        viaAdd.add(sessionId, factsOfContribution(c, internal), -1, c.model);
        viaContribution.add(sessionId, factsOfContribution(c, internal), -1, c.model);
      }
    }
    expect([...viaContribution.deltas]).toEqual([...viaAdd.deltas]);
    expect(viaContribution.deltas.get('s1')!.facts.spanCount).toBeGreaterThan(100);
    expect([...viaContribution.deltas.get('s1')!.models.keys()].sort()).toEqual(['claude', 'gemini', 'gpt-4o']);
  });
});
