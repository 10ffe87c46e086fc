import { describe, expect, it } from 'vitest';
import type { BudgetEventRecord, BudgetUsage } from '../../src/model/budgets.js';
import { budgetsJson, budgetView } from '../../src/query/session-budget.js';

const usage: BudgetUsage = { sessionId: 's', agentName: 'coder', userId: 'u-1', tokens: 900, reasoningTokens: 0, costUsd: 0.2 };

function crossing(over: Partial<BudgetEventRecord>): BudgetEventRecord {
  return {
    scope: 'session',
    key: 's',
    metric: 'tokens',
    level: 'exceeded',
    limit: 500,
    used: 600,
    atUnixMillis: 1,
    traceId: null,
    spanId: null,
    sessionId: 's',
    ...over,
  };
}

describe('budgetView', () => {
  it('shows each configured limit with what is used of it, worst state first in status', () => {
    const view = budgetView(usage, [], { session: { maxTokens: 1000, maxCostUsd: 1 }, agents: { coder: { maxCostUsd: 0.1 } } });
    expect(view.limits).toEqual([
      { scope: 'session', key: 's', metric: 'tokens', limit: 1000, warnAt: 800, used: 900, state: 'warning' },
      { scope: 'session', key: 's', metric: 'costUsd', limit: 1, warnAt: 0.8, used: 0.2, state: 'ok' },
      { scope: 'agent', key: 'coder', metric: 'costUsd', limit: 0.1, warnAt: expect.closeTo(0.08, 10), used: 0.2, state: 'exceeded' },
    ]);
    expect(view.status).toBe('exceeded');
    expect(view.used).toEqual({ tokens: 900, reasoningTokens: 0, costUsd: 0.2 });
  });

  it('shows a crossing recorded under limits not configured here, so the session still says why', () => {
    const recorded = crossing({ scope: 'user', key: 'u-1', metric: 'tokens', level: 'exceeded', limit: 500 });
    const view = budgetView(usage, [recorded], undefined);
    expect(view.limits).toEqual([{ scope: 'user', key: 'u-1', metric: 'tokens', limit: 500, warnAt: null, used: 900, state: 'exceeded' }]);
    expect(view.status).toBe('exceeded');
    expect(view.events).toEqual([recorded]);
  });

  it('is ok with nothing configured and nothing recorded', () => {
    expect(budgetView(usage, [], undefined)).toMatchObject({ status: 'ok', limits: [], events: [] });
  });
});

describe('budgetsJson', () => {
  it('copies the configured limits and names the warning fraction in effect', () => {
    expect(budgetsJson(undefined)).toEqual({ configured: false, warnAtFraction: 0.8, session: null, agents: {}, users: {} });
    expect(budgetsJson({ session: { maxTokens: 10 }, users: { u: { maxCostUsd: 1 } }, warnAtFraction: 0.5 })).toEqual({
      configured: true,
      warnAtFraction: 0.5,
      session: { maxTokens: 10 },
      agents: {},
      users: { u: { maxCostUsd: 1 } },
    });
  });
});
