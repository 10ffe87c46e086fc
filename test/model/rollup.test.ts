import { describe, expect, it } from 'vitest';
import { sessionStatus, spanContribution, spanModel, usageMismatch, usageTotal } from '../../src/model/rollup.js';
import type { UsageNode } from '../../src/model/rollup.js';
import { makeLlmRecord, makeRecord } from '../helpers/records.js';

describe('spanContribution', () => {
  it('adds tokens and cost of a model call', () => {
    const c = spanContribution(
      makeLlmRecord({ usage: { input: 10, output: 5, reasoning: 2, cacheRead: 3, cacheWrite: 1 }, cost: { usd: 0.5, source: 'computed' } }),
    );
    expect(c).toStrictEqual({
      llmCall: true,
      toolCall: false,
      error: false,
      open: false,
      tokens: { input: 10, output: 5, reasoning: 2, cacheRead: 3, cacheWrite: 1 },
      totalTokens: 15,
      suppliedCostUsd: 0,
      computedCostUsd: 0.5,
      unpriced: false,
      model: 'gpt-4o-2024-08-06',
      reportsAggregateUsage: false,
    });
  });

  it('adds no tokens or cost for an agent span, and says it reports aggregate usage', () => {
    const c = spanContribution(makeRecord({ stepType: 'agent', usage: { input: 100 }, cost: { usd: 1, source: 'supplied' } }));
    expect(c.tokens).toStrictEqual({ input: 0, output: 0, reasoning: 0, cacheRead: 0, cacheWrite: 0 });
    expect(c.suppliedCostUsd).toBe(0);
    expect(c.totalTokens).toBe(0);
    expect(c.reportsAggregateUsage).toBe(true);
    expect(spanContribution(makeRecord({ stepType: 'workflow', usage: {} })).reportsAggregateUsage).toBe(false);
  });

  it('counts tools, errors, open steps and unpriced calls', () => {
    expect(spanContribution(makeRecord({ stepType: 'tool' })).toolCall).toBe(true);
    expect(spanContribution(makeRecord({ isError: true })).error).toBe(true);
    expect(spanContribution(makeRecord({ endTimeUnixNano: null })).open).toBe(true);
    expect(spanContribution(makeLlmRecord({ cost: null, unpriced: true })).unpriced).toBe(true);
    // Only a model call can be unpriced.
    expect(spanContribution(makeRecord({ stepType: 'tool', unpriced: true })).unpriced).toBe(false);
  });
});

describe('usage helpers', () => {
  it('prefers the reported total, else input + output', () => {
    expect(usageTotal({ input: 3, output: 4, total: 10 })).toBe(10);
    expect(usageTotal({ input: 3, output: 4, reasoning: 2 })).toBe(7);
    expect(usageTotal({})).toBe(0);
  });

  it('names the response model first', () => {
    expect(spanModel({ requestModel: 'a', responseModel: 'b' })).toBe('b');
    expect(spanModel({ requestModel: 'a', responseModel: null })).toBe('a');
    expect(spanModel({ requestModel: null, responseModel: null })).toBeNull();
  });
});

describe('sessionStatus', () => {
  it('orders interrupted, running, failed, completed', () => {
    expect(sessionStatus({ openCount: 1, interruptedCount: 1, rootErrorCount: 1 })).toBe('interrupted');
    expect(sessionStatus({ openCount: 1, interruptedCount: 0, rootErrorCount: 1 })).toBe('running');
    expect(sessionStatus({ openCount: 0, interruptedCount: 0, rootErrorCount: 1 })).toBe('failed');
    expect(sessionStatus({ openCount: 0, interruptedCount: 0, rootErrorCount: 0 })).toBe('completed');
  });
});

describe('usageMismatch', () => {
  const node = (spanId: string, parentSpanId: string | null, stepType: UsageNode['stepType'], usage: UsageNode['usage']): UsageNode => ({
    traceId: 't',
    spanId,
    parentSpanId,
    stepType,
    usage,
  });

  it('is false when the agent repeats the sum of all model calls below it, at any depth', () => {
    const nodes = [
      node('a', null, 'agent', { input: 30, output: 3, total: 33 }),
      node('l1', 'a', 'llm', { input: 10, output: 1 }),
      node('w', 'a', 'workflow', {}),
      node('l2', 'w', 'llm', { input: 20, output: 2 }),
      node('tool', 'a', 'tool', { input: 999 }),
    ];
    expect(usageMismatch(nodes)).toBe(false);
  });

  it('is true when a reported kind or the total disagrees', () => {
    const calls = [node('l1', 'a', 'llm', { input: 10, output: 1 })];
    expect(usageMismatch([node('a', null, 'agent', { input: 11 }), ...calls])).toBe(true);
    expect(usageMismatch([node('a', null, 'agent', { total: 12 }), ...calls])).toBe(true);
    // Kinds the agent does not report are not compared.
    expect(usageMismatch([node('a', null, 'agent', { input: 10 }), ...calls])).toBe(false);
  });

  it('is true for agent usage with no model calls below it, and false without aggregate usage', () => {
    expect(usageMismatch([node('a', null, 'agent', { input: 5 })])).toBe(true);
    expect(usageMismatch([node('l', null, 'llm', { input: 5 })])).toBe(false);
  });

  it('survives parent cycles and deep chains', () => {
    expect(usageMismatch([node('a', 'b', 'agent', { input: 1 }), node('b', 'a', 'llm', { input: 1 })])).toBe(false);
    const chain = [node('n0', null, 'agent', { input: 1 })];
    for (let i = 1; i < 20_000; i++) chain.push(node(`n${i}`, `n${i - 1}`, 'other', {}));
    chain.push(node('leaf', 'n19999', 'llm', { input: 1 }));
    expect(usageMismatch(chain)).toBe(false);
  });
});
