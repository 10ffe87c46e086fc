/**
 * A session's budget as the API (`budget` of `GET /sessions/:id`), `skein
 * show` and the viewer see it: each limit that applies with what is used of
 * it, and the crossings recorded. Limits come from the budgets configured
 * where the question is asked; without them, from the recorded crossings
 * (which carry the limit they crossed), so a session judged by another
 * process still shows why.
 */

import {
  BUDGET_METRICS,
  DEFAULT_WARN_AT_FRACTION,
  effectiveBudgetLimits,
  hasBudgets,
  usedOf,
} from '../model/budgets.js';
import type {
  BudgetConfig,
  BudgetEventRecord,
  BudgetLimits,
  BudgetMetric,
  BudgetScope,
  BudgetUsage,
} from '../model/budgets.js';
import { isBudgetReader } from '../store/budget-reader.js';
import type { TraceStore } from '../store/trace-store.js';

export type BudgetState = 'ok' | 'warning' | 'exceeded';

export interface BudgetLimitView {
  scope: BudgetScope;
  key: string;
  metric: BudgetMetric;
  limit: number;
  /** Usage at which a warning is recorded; null when only known from a recorded crossing. */
  warnAt: number | null;
  used: number;
  state: BudgetState;
}

export interface SessionBudgetView {
  /** The worst state of any limit. */
  status: BudgetState;
  limits: BudgetLimitView[];
  used: Record<BudgetMetric, number>;
  events: BudgetEventRecord[];
}

const RANK: Record<BudgetState, number> = { ok: 0, warning: 1, exceeded: 2 };

function stateOf(used: number, limit: number, warnAt: number | null, recorded: readonly BudgetEventRecord[]): BudgetState {
  if (used >= limit || recorded.some((e) => e.level === 'exceeded')) return 'exceeded';
  if ((warnAt !== null && used >= warnAt) || recorded.some((e) => e.level === 'warning')) return 'warning';
  return 'ok';
}

/** Pure: the view of `usage` under `budgets` (may be undefined) and the recorded `events`. */
export function budgetView(
  usage: BudgetUsage,
  events: readonly BudgetEventRecord[],
  budgets: BudgetConfig | undefined,
): SessionBudgetView {
  const limits: Array<Omit<BudgetLimitView, 'used' | 'state'>> = hasBudgets(budgets)
    ? effectiveBudgetLimits(budgets as BudgetConfig, usage)
    : [];
  // Crossings of limits not configured here (another process's, or since changed) still show.
  for (const event of events) {
    if (limits.some((l) => l.scope === event.scope && l.metric === event.metric)) continue;
    limits.push({ scope: event.scope, key: event.key, metric: event.metric, limit: event.limit, warnAt: null });
  }
  const views = limits.map((l): BudgetLimitView => {
    const used = usedOf(usage, l.metric);
    const recorded = events.filter((e) => e.scope === l.scope && e.metric === l.metric);
    return { ...l, used, state: stateOf(used, l.limit, l.warnAt, recorded) };
  });
  const status = views.reduce<BudgetState>((worst, v) => (RANK[v.state] > RANK[worst] ? v.state : worst), 'ok');
  const used = Object.fromEntries(BUDGET_METRICS.map((m) => [m, usedOf(usage, m)])) as Record<BudgetMetric, number>;
  return { status, limits: views, used, events: [...events] };
}

/**
 * The session's budget, or null when there is nothing to show: no budgets
 * configured and no crossing recorded, or a store that keeps no budgets.
 */
export async function sessionBudget(
  store: TraceStore,
  sessionId: string,
  budgets: BudgetConfig | undefined,
): Promise<SessionBudgetView | null> {
  if (!isBudgetReader(store)) return null;
  const events = await store.getBudgetEvents(sessionId);
  if (!hasBudgets(budgets) && events.length === 0) return null;
  return budgetView(await store.getBudgetUsage(sessionId), events, budgets);
}

/** `GET /budgets`: the configured limits as given, with the warning fraction in effect. */
export function budgetsJson(budgets: BudgetConfig | undefined) {
  const copy = (limits: BudgetLimits | undefined) => (limits === undefined ? null : { ...limits });
  const byName = (entries: Record<string, BudgetLimits> | undefined) =>
    Object.fromEntries(Object.entries(entries ?? {}).map(([name, limits]) => [name, { ...limits }]));
  return {
    configured: hasBudgets(budgets),
    warnAtFraction: budgets?.warnAtFraction ?? DEFAULT_WARN_AT_FRACTION,
    session: copy(budgets?.session),
    agents: byName(budgets?.agents),
    users: byName(budgets?.users),
  };
}
