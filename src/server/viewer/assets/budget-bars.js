// A session's budget (`budget` of GET /api/sessions/:id, present only when
// budgets are configured or a crossing was recorded): one bar per limit that
// applies, the worst state as the card's status, and the recorded crossings
// linked to the step that crossed. States are told in words as well as
// colour, so they survive colour blindness and screen readers.

import { sessionPath } from './api.js';
import { h } from './dom.js';
import { formatInt, formatUsd, formatWhen } from './format.js';

const METRIC_LABELS = /** @type {Record<string, string>} */ ({
  tokens: 'Tokens',
  reasoningTokens: 'Reasoning tokens',
  costUsd: 'Cost',
});

const STATE_TEXT = /** @type {Record<string, string>} */ ({
  ok: 'Within budget',
  warning: '⚠ Warning',
  exceeded: '✗ Exceeded',
});

const STATUS_TEXT = /** @type {Record<string, string>} */ ({
  ok: 'within budget',
  warning: 'warning',
  exceeded: 'exceeded',
});

/** Tokens are counts (whole numbers), cost is USD. @param {string} metric @param {number} value */
export function formatBudgetAmount(metric, value) {
  return metric === 'costUsd' ? formatUsd(value) : formatInt(Math.round(value));
}

/** @param {{ scope: string, key: string }} limit */
function scopeLabel(limit) {
  if (limit.scope === 'agent') return `Agent ${limit.key}`;
  if (limit.scope === 'user') return `User ${limit.key}`;
  return 'Session';
}

/** @param {string} metric */
const metricLabel = (metric) => METRIC_LABELS[metric] ?? metric;

/** @param {string} state */
const knownState = (state) => (state === 'warning' || state === 'exceeded' ? state : 'ok');

/**
 * @param {Record<string, any>} limit one of `budget.limits`
 */
function budgetBar(limit) {
  const state = knownState(limit.state);
  const fraction = limit.limit > 0 ? limit.used / limit.limit : 0;
  const percent = Math.round(fraction * 100);
  const unit = limit.metric === 'costUsd' ? '' : ' tokens';
  const amount = `${formatBudgetAmount(limit.metric, limit.used)} of ${formatBudgetAmount(limit.metric, limit.limit)}${unit}`;
  const label = `${scopeLabel(limit)} · ${metricLabel(limit.metric)}`;
  const warnAt = typeof limit.warnAt === 'number' && limit.limit > 0 ? limit.warnAt / limit.limit : null;
  return h(
    'li',
    { class: `budget budget-${state}`, dataset: { scope: limit.scope, metric: limit.metric, state } },
    h('span', { class: 'budget-label' }, label),
    h(
      'div',
      {
        class: 'budget-track',
        role: 'meter',
        'aria-label': label,
        'aria-valuemin': '0',
        'aria-valuemax': String(limit.limit),
        // A meter cannot go past its maximum; the text says by how much it did.
        'aria-valuenow': String(Math.min(limit.used, limit.limit)),
        'aria-valuetext': `${amount}, ${percent}%, ${STATE_TEXT[state].replace(/^\W+/, '')}`,
      },
      h('span', { class: 'budget-fill', style: { '--fill': String(Math.min(Math.max(fraction, 0), 1)) } }),
      warnAt !== null && warnAt > 0 && warnAt < 1
        ? h('span', { class: 'budget-warn-mark', style: { '--at': String(warnAt) }, title: `Warning at ${formatBudgetAmount(limit.metric, limit.warnAt)}` })
        : null,
    ),
    h('span', { class: 'budget-amount' }, `${amount} · ${percent}%`),
    h('span', { class: 'budget-state' }, STATE_TEXT[state]),
  );
}

/**
 * @param {string} sessionId
 * @param {Record<string, any>} event one of `budget.events`
 */
function crossing(sessionId, event) {
  const level = knownState(event.level);
  const what = `${level === 'exceeded' ? 'Exceeded' : 'Warning'}: ${scopeLabel(event)} ${metricLabel(event.metric).toLowerCase()}, ${formatBudgetAmount(event.metric, event.used)} of ${formatBudgetAmount(event.metric, event.limit)}`;
  const when = typeof event.atUnixMillis === 'number' ? formatWhen(String(BigInt(event.atUnixMillis) * 1_000_000n)) : null;
  return h(
    'li',
    { class: `budget-event budget-${level}` },
    what,
    when ? h('span', { class: 'muted' }, ` at ${when}`) : null,
    typeof event.spanId === 'string'
      ? [' · ', h('a', { href: `${sessionPath(sessionId)}/steps/${encodeURIComponent(event.spanId)}` }, 'the step that crossed')]
      : null,
  );
}

/**
 * The budget card, or null when the session carries no budget.
 * @param {Record<string, any>} session the session detail (GET /api/sessions/:id)
 */
export function renderBudget(session) {
  const budget = session.budget;
  if (budget === null || typeof budget !== 'object' || !Array.isArray(budget.limits)) return null;
  const status = knownState(budget.status);
  const events = Array.isArray(budget.events) ? budget.events : [];
  return h(
    'section',
    { class: `card budgets budget-status-${status}`, 'aria-labelledby': 'budget-title' },
    h(
      'div',
      { class: 'budget-head' },
      h('h2', { id: 'budget-title' }, 'Budget'),
      h('span', { class: `badge badge-budget-${status}` }, h('span', { class: 'sr-only' }, 'Budget status: '), STATUS_TEXT[status]),
    ),
    budget.limits.length > 0
      ? h('ul', { class: 'budget-list' }, budget.limits.map((/** @type {Record<string, any>} */ l) => budgetBar(l)))
      : h('p', { class: 'muted' }, 'No limit applies to this session.'),
    events.length > 0
      ? // Not a <details>: the summary is redrawn every second while the session runs, which would close it.
        h(
          'div',
          { class: 'budget-events' },
          h('h3', {}, 'Recorded crossings'),
          h('ul', {}, events.map((/** @type {Record<string, any>} */ e) => crossing(session.sessionId, e))),
        )
      : null,
  );
}
