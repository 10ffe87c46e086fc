/** A session's budget in the terminal (`skein show`): one line per limit, a bar of what is used, and its state. */

import { formatBudgetAmount } from '../model/budgets.js';
import type { BudgetMetric } from '../model/budgets.js';
import { formatCount, formatUsd } from '../model/human-units.js';
import type { BudgetLimitView, SessionBudgetView } from '../query/session-budget.js';
import type { Style } from './output.js';

const BAR_WIDTH = 20;
const METRIC_LABELS: Record<BudgetMetric, string> = { tokens: 'tokens', reasoningTokens: 'reasoning', costUsd: 'cost' };

function usageBar(used: number, limit: number): string {
  const filled = Math.min(BAR_WIDTH, Math.round((used / limit) * BAR_WIDTH));
  return '█'.repeat(filled) + '░'.repeat(BAR_WIDTH - filled);
}

function amount(metric: BudgetMetric, value: number): string {
  return metric === 'costUsd' ? formatUsd(value) : formatCount(value);
}

function limitLine(l: BudgetLimitView, labelWidth: number, style: Style): string {
  const label = `${l.scope === 'session' ? 'session' : `${l.scope} ${l.key}`} ${METRIC_LABELS[l.metric]}`;
  const percent = `${Math.round((l.used / l.limit) * 100)}%`.padStart(5);
  const bar = usageBar(l.used, l.limit);
  const paint = l.state === 'exceeded' ? style.red : l.state === 'warning' ? style.yellow : style.green;
  const mark = l.state === 'exceeded' ? style.red('✗ exceeded') : l.state === 'warning' ? style.yellow('⚠ warning') : style.green('ok');
  return `  ${label.padEnd(labelWidth)}  ${paint(bar)} ${percent}  ${amount(l.metric, l.used)} of ${formatBudgetAmount(l.metric, l.limit)}  ${mark}`;
}

/** `budget: exceeded` and a line per limit; nothing when the session has no budget. */
export function budgetLines(view: SessionBudgetView | null, style: Style): string[] {
  if (view === null || view.limits.length === 0) return [];
  const labels = view.limits.map((l) => `${l.scope === 'session' ? 'session' : `${l.scope} ${l.key}`} ${METRIC_LABELS[l.metric]}`);
  const width = Math.max(...labels.map((label) => label.length));
  const status =
    view.status === 'exceeded' ? style.red('exceeded') : view.status === 'warning' ? style.yellow('warning') : style.green('within limits');
  return [`budget: ${status}`, ...view.limits.map((l) => limitLine(l, width, style))];
}
