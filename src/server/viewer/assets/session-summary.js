// A session's totals: one compact line (tokens, cost, duration, steps, errors,
// budget state) that opens into the cards: tokens by kind, cost (computed and
// supplied), duration, step counts, the budget when the session carries one
// (budget-bars.js), and the per-model breakdown. Closed by default, so the
// steps come first.

import { renderBudget } from './budget-bars.js';
import { h } from './dom.js';
import { TOKEN_KINDS, formatDuration, formatInt, formatUsd, formatWhen, millisBetween, totalTokens } from './format.js';
import { card, facts } from './widgets.js';

/**
 * @param {Record<string, any>} session the session detail (GET /api/sessions/:id)
 * @param {Map<string, Record<string, any>>} steps
 * @param {{ open: boolean, onToggle: (open: boolean) => void }} panel
 */
export function renderSessionSummary(session, steps, panel) {
  const details = /** @type {HTMLDetailsElement} */ (
    h('details', { class: 'totals', open: panel.open }, h('summary', {}, compactLine(session, steps)), totalsCards(session, steps))
  );
  details.addEventListener('toggle', () => panel.onToggle(details.open));
  return details;
}

/** @param {Record<string, any>} session */
function durationOf(session) {
  return session.durationNanos !== null && session.durationNanos !== undefined
    ? Number(BigInt(session.durationNanos)) / 1e6
    : millisBetween(session.firstStartUnixNano, String(BigInt(Date.now()) * 1_000_000n));
}

/** @param {Record<string, any>} session @param {Map<string, Record<string, any>>} steps */
function compactLine(session, steps) {
  const open = [...steps.values()].filter((s) => s.open && !s.interrupted).length;
  const budget = session.budget && Array.isArray(session.budget.limits) ? String(session.budget.status) : null;
  const budgetState = budget === null ? null : budget === 'ok' ? 'within' : budget;
  const item = (/** @type {string} */ label, /** @type {string | Node} */ value, cls = '') => h('span', { class: `total ${cls}`.trim() }, h('strong', {}, value), ` ${label}`);
  return h(
    'span',
    { class: 'totals-line' },
    item('tokens', formatInt(totalTokens(session.tokens ?? {}))),
    item('cost', formatUsd(session.costUsd)),
    item(session.durationNanos === null ? 'so far' : 'duration', formatDuration(durationOf(session))),
    stepsItem(session, steps, item),
    item(session.errorCount === 1 ? 'error' : 'errors', formatInt(session.errorCount), session.errorCount > 0 ? 'has-errors' : ''),
    open > 0 ? item('running', formatInt(open)) : null,
    session.interruptedCount > 0 ? item('interrupted', formatInt(session.interruptedCount)) : null,
    session.redactedCount > 0 ? item(session.redactedCount === 1 ? 'value redacted' : 'values redacted', formatInt(session.redactedCount), 'totals-redacted') : null,
    typeof budgetState === 'string' ? item('budget', budgetState, `totals-budget-${budget}`) : null,
    h('span', { class: 'totals-more muted' }, 'details'),
  );
}

/**
 * `N steps in M turns`: a coding agent's turns are its turn steps (prompts) and its steps those of the
 * timeline (an agent's plumbing spans are none); any other session's turns are its traces.
 * @param {Record<string, any>} session @param {Map<string, Record<string, any>>} steps
 * @param {(label: string, value: string) => HTMLElement} item
 */
function stepsItem(session, steps, item) {
  const prompts = [...steps.values()].filter((s) => s.stepType === 'turn').length;
  if (prompts > 0) return item(`steps in ${prompts} turn${prompts === 1 ? '' : 's'}`, formatInt(steps.size));
  return item(session.traceIds?.length > 1 ? `steps in ${session.traceIds.length} turns` : 'steps', formatInt(session.stepCount ?? session.spanCount));
}

/** @param {Record<string, any>} session @param {Map<string, Record<string, any>>} steps */
function totalsCards(session, steps) {
  const open = [...steps.values()].filter((s) => s.open && !s.interrupted).length;
  const durationMillis = durationOf(session);
  const tokens = session.tokens ?? {};

  const cards = h(
    'div',
    { class: 'cards' },
    card(
      'Tokens',
      h('p', { class: 'big' }, formatInt(totalTokens(tokens))),
      h(
        'table',
        { class: 'mini' },
        h('caption', { class: 'sr-only' }, 'Tokens by kind'),
        h('tbody', {}, TOKEN_KINDS.map(([key, label]) => h('tr', {}, h('th', { scope: 'row' }, label), h('td', { class: 'num' }, formatInt(tokens[key] ?? 0))))),
      ),
      session.usageMismatch ? h('p', { class: 'note' }, 'An agent span reports usage that differs from the sum of its model calls; totals count model calls only.') : null,
    ),
    card(
      'Cost',
      h('p', { class: 'big' }, formatUsd(session.costUsd)),
      facts([
        ['Computed', formatUsd(session.computedCostUsd)],
        ['Supplied', formatUsd(session.suppliedCostUsd)],
        ['Unpriced calls', session.unpricedCallCount > 0 ? formatInt(session.unpricedCallCount) : null],
      ]),
    ),
    card(
      'Time',
      h('p', { class: 'big' }, session.durationNanos === null ? `${formatDuration(durationMillis)}…` : formatDuration(durationMillis)),
      facts([
        ['Started', formatWhen(session.firstStartUnixNano)],
        ['Ended', session.lastEndUnixNano ? formatWhen(session.lastEndUnixNano) : 'still running'],
      ]),
    ),
    card(
      'Steps',
      h('p', { class: 'big' }, formatInt(session.stepCount ?? session.spanCount)),
      facts([
        ['Model calls', formatInt(session.llmCallCount)],
        ['Tool calls', formatInt(session.toolCallCount)],
        ['Errors', session.errorCount > 0 ? h('span', { class: 'has-errors' }, formatInt(session.errorCount)) : '0'],
        ['Running', open > 0 ? formatInt(open) : null],
        ['Interrupted', session.interruptedCount > 0 ? formatInt(session.interruptedCount) : null],
      ]),
    ),
  );
  return h('div', { class: 'totals-body' }, cards, renderBudget(session), modelTable(session));
}

/** @param {Record<string, any>} session */
function modelTable(session) {
  const models = /** @type {any[]} */ (session.modelBreakdown ?? []);
  if (models.length === 0) return null;
  const maxCost = Math.max(...models.map((m) => m.costUsd), 0);
  return h(
    'section',
    { class: 'card models-card' },
    h('h2', {}, 'By model'),
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { class: 'models' },
        h(
          'thead',
          {},
          h('tr', {}, h('th', { scope: 'col' }, 'Model'), h('th', { scope: 'col', class: 'num' }, 'Calls'), TOKEN_KINDS.map(([, label]) => h('th', { scope: 'col', class: 'num opt' }, label)), h('th', { scope: 'col', class: 'num' }, 'Cost')),
        ),
        h(
          'tbody',
          {},
          models.map((m) =>
            h(
              'tr',
              {},
              h('th', { scope: 'row' }, m.model),
              h('td', { class: 'num' }, formatInt(m.calls)),
              TOKEN_KINDS.map(([key]) => h('td', { class: 'num opt' }, formatInt(m.tokens[key] ?? 0))),
              h(
                'td',
                { class: 'num cost-cell' },
                h('span', { class: 'share', style: { '--share': maxCost > 0 ? String(m.costUsd / maxCost) : '0' }, 'aria-hidden': 'true' }),
                formatUsd(m.costUsd),
              ),
            ),
          ),
        ),
      ),
    ),
  );
}
