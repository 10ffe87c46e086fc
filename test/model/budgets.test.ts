import { describe, expect, it } from 'vitest';
import {
  BudgetConfigError,
  budgetEventKey,
  budgetSpanEvent,
  describeBudgetCrossing,
  effectiveBudgetLimits,
  evaluateBudgets,
  hasBudgets,
  parseBudgetConfig,
} from '../../src/model/budgets.js';
import type { BudgetConfig, BudgetUsage } from '../../src/model/budgets.js';
import { spanContribution } from '../../src/model/rollup.js';
import { makeLlmRecord, makeRecord } from '../helpers/records.js';

const usage = (partial: Partial<BudgetUsage> = {}): BudgetUsage => ({
  sessionId: 's1',
  agentName: null,
  userId: null,
  tokens: 0,
  reasoningTokens: 0,
  costUsd: 0,
  ...partial,
});

const keys = (crossings: ReturnType<typeof evaluateBudgets>) => crossings.map((c) => `${c.scope}:${c.key}/${c.metric}/${c.level}`);

describe('evaluateBudgets', () => {
  const config: BudgetConfig = { session: { maxTokens: 1000, maxCostUsd: 1 } };

  it('warns at 80% by default and records the limit once usage reaches it', () => {
    expect(evaluateBudgets(config, usage({ tokens: 799, costUsd: 0.79 }), new Set())).toEqual([]);
    expect(keys(evaluateBudgets(config, usage({ tokens: 800 }), new Set()))).toEqual(['session:s1/tokens/warning']);
    expect(evaluateBudgets(config, usage({ tokens: 1000 }), new Set())).toEqual([
      { scope: 'session', key: 's1', metric: 'tokens', level: 'warning', limit: 1000, used: 1000, sessionId: 's1' },
      { scope: 'session', key: 's1', metric: 'tokens', level: 'exceeded', limit: 1000, used: 1000, sessionId: 's1' },
    ]);
  });

  it('reports each level once: what is already recorded is not crossed again', () => {
    const recorded = new Set<string>();
    const first = evaluateBudgets(config, usage({ costUsd: 0.9 }), recorded);
    expect(keys(first)).toEqual(['session:s1/costUsd/warning']);
    for (const c of first) recorded.add(budgetEventKey(c));
    expect(evaluateBudgets(config, usage({ costUsd: 0.95 }), recorded)).toEqual([]);
    const second = evaluateBudgets(config, usage({ costUsd: 1.5 }), recorded);
    expect(keys(second)).toEqual(['session:s1/costUsd/exceeded']);
    expect(second[0].used).toBe(1.5);
    for (const c of second) recorded.add(budgetEventKey(c));
    expect(evaluateBudgets(config, usage({ costUsd: 7 }), recorded)).toEqual([]);
  });

  it('honours warnAtFraction', () => {
    const half: BudgetConfig = { session: { maxReasoningTokens: 100 }, warnAtFraction: 0.5 };
    expect(evaluateBudgets(half, usage({ reasoningTokens: 49 }), new Set())).toEqual([]);
    expect(keys(evaluateBudgets(half, usage({ reasoningTokens: 50 }), new Set()))).toEqual([
      'session:s1/reasoningTokens/warning',
    ]);
  });

  it('applies agent and user limits only to their sessions, each scope on its own', () => {
    const scoped: BudgetConfig = {
      session: { maxCostUsd: 10 },
      agents: { researcher: { maxCostUsd: 1 } },
      users: { alice: { maxTokens: 100 } },
    };
    const researcher = usage({ agentName: 'researcher', userId: 'bob', costUsd: 2, tokens: 500 });
    expect(keys(evaluateBudgets(scoped, researcher, new Set()))).toEqual([
      'agent:researcher/costUsd/warning',
      'agent:researcher/costUsd/exceeded',
    ]);
    const alice = usage({ agentName: 'writer', userId: 'alice', costUsd: 2, tokens: 500 });
    expect(keys(evaluateBudgets(scoped, alice, new Set()))).toEqual(['user:alice/tokens/warning', 'user:alice/tokens/exceeded']);
    // The agent scope being recorded does not hide the session scope.
    const recorded = new Set(['agent/costUsd/warning', 'agent/costUsd/exceeded']);
    expect(keys(evaluateBudgets(scoped, { ...researcher, costUsd: 9 }, recorded))).toEqual(['session:s1/costUsd/warning']);
  });

  it('does not look names up on the prototype', () => {
    const scoped: BudgetConfig = { agents: { researcher: { maxTokens: 1 } } };
    expect(evaluateBudgets(scoped, usage({ agentName: 'constructor', tokens: 10 }), new Set())).toEqual([]);
    expect(effectiveBudgetLimits(scoped, usage({ userId: 'toString' }))).toEqual([]);
  });

  it('counts usage by the rollup rules: an agent span repeating its calls adds nothing', () => {
    // The store sums spanContribution; budgets see only that sum.
    const call = spanContribution(makeLlmRecord({ usage: { input: 600, output: 100 }, cost: { usd: 0.6, source: 'supplied' } }));
    const agent = spanContribution(
      makeRecord({ stepType: 'agent', usage: { input: 600, output: 100 }, cost: { usd: 0.6, source: 'supplied' } }),
    );
    const tokens = call.totalTokens + agent.totalTokens;
    const costUsd = call.suppliedCostUsd + agent.suppliedCostUsd;
    expect(tokens).toBe(700);
    expect(evaluateBudgets(config, usage({ tokens, costUsd }), new Set())).toEqual([]);
  });

  it('lists the effective limits with their warning thresholds', () => {
    const limits = effectiveBudgetLimits(
      { session: { maxTokens: 1000 }, agents: { a: { maxCostUsd: 2 } }, warnAtFraction: 0.9 },
      usage({ agentName: 'a' }),
    );
    expect(limits).toEqual([
      { scope: 'session', key: 's1', metric: 'tokens', limit: 1000, warnAt: 900 },
      { scope: 'agent', key: 'a', metric: 'costUsd', limit: 2, warnAt: 1.8 },
    ]);
  });
});

describe('parseBudgetConfig', () => {
  it('accepts every section', () => {
    const json = {
      session: { maxTokens: 50_000, maxReasoningTokens: 10_000, maxCostUsd: 1.5 },
      agents: { researcher: { maxCostUsd: 0.5 } },
      users: { 'user-1': { maxTokens: 1000 } },
      warnAtFraction: 0.75,
    };
    const config = parseBudgetConfig(json, 'skein.config.json');
    expect(config).toEqual(json);
    expect(hasBudgets(config)).toBe(true);
    expect(parseBudgetConfig(undefined, 'x')).toEqual({});
    expect(hasBudgets({ warnAtFraction: 0.5 })).toBe(false);
    expect(hasBudgets({ agents: { a: {} } })).toBe(false);
  });

  it.each([
    [[], 'cfg.json: budgets: must be an object'],
    [{ sesion: {} }, 'cfg.json: budgets.sesion: unknown field'],
    [{ session: { maxTokens: 0 } }, 'cfg.json: budgets.session.maxTokens: must be a number greater than 0, got 0'],
    [{ session: { maxCostUsd: '1' } }, 'cfg.json: budgets.session.maxCostUsd: must be a number greater than 0, got "1"'],
    [{ session: { maxDollars: 1 } }, 'cfg.json: budgets.session.maxDollars: unknown limit'],
    [{ agents: { a: { maxTokens: -5 } } }, 'cfg.json: budgets.agents.a.maxTokens: must be a number greater than 0'],
    [{ users: [] }, 'cfg.json: budgets.users: must be an object of names to limits'],
    [{ users: { u: 5 } }, 'cfg.json: budgets.users.u: must be an object'],
    [{ warnAtFraction: 1.5 }, 'cfg.json: budgets.warnAtFraction: must be a number above 0 and at most 1, got 1.5'],
    [{ warnAtFraction: 0 }, 'cfg.json: budgets.warnAtFraction: must be a number above 0'],
  ])('refuses %j naming the file and field', (json, message) => {
    let error: unknown;
    try {
      parseBudgetConfig(json, 'cfg.json');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(BudgetConfigError);
    expect((error as Error).message).toContain(message);
  });
});

describe('describing a crossing', () => {
  it('gives the session, the limit and the amount used', () => {
    const base = { sessionId: '4f2a', key: '4f2a', level: 'exceeded' as const, scope: 'session' as const };
    expect(describeBudgetCrossing({ ...base, metric: 'costUsd', limit: 1, used: 1.2345 })).toBe(
      'session 4f2a exceeded its cost budget: used $1.23 of $1.00',
    );
    expect(describeBudgetCrossing({ ...base, scope: 'agent', key: 'bot', metric: 'tokens', limit: 1000, used: 1200 })).toBe(
      "session 4f2a exceeded agent bot's token budget: used 1,200 of 1,000 tokens",
    );
    expect(
      describeBudgetCrossing({ ...base, level: 'warning', scope: 'user', key: 'u', metric: 'reasoningTokens', limit: 10, used: 8 }),
    ).toBe("session 4f2a is near user u's reasoning-token budget: used 8 of 10 reasoning tokens");
  });

  it('a warning seen when the session is already at or over the limit does not say "near"', () => {
    const base = { sessionId: '4f2a', key: '4f2a', level: 'warning' as const, scope: 'session' as const, metric: 'costUsd' as const };
    expect(describeBudgetCrossing({ ...base, limit: 0.01, used: 0.0104 })).toBe(
      'session 4f2a is over its cost budget: used $0.0104 of $0.0100',
    );
    expect(describeBudgetCrossing({ ...base, limit: 0.01, used: 0.01 })).toBe(
      'session 4f2a has reached its cost budget: used $0.0100 of $0.0100',
    );
  });

  it('makes the span event with skein.budget.* attributes', () => {
    const event = budgetSpanEvent(
      { sessionId: 's', key: 's', scope: 'session', metric: 'costUsd', level: 'warning', limit: 2, used: 1.7 },
      5n,
    );
    expect(event).toEqual({
      name: 'skein.budget.warning',
      timeUnixNano: 5n,
      attributes: {
        'skein.budget.scope': 'session',
        'skein.budget.key': 's',
        'skein.budget.metric': 'costUsd',
        'skein.budget.limit': 2,
        'skein.budget.used': 1.7,
      },
      droppedAttributesCount: 0,
    });
  });
});
