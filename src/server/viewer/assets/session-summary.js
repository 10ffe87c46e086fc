// A session's totals: tokens by kind, cost (computed and supplied), duration,
// step counts, budget use when the session carries a budget, and the
// per-model breakdown.

import { h } from './dom.js';
import { TOKEN_KINDS, formatDuration, formatInt, formatUsd, formatWhen, millisBetween, totalTokens } from './format.js';
import { card, facts } from './widgets.js';

/**
 * @param {Record<string, any>} session the session detail (GET /api/sessions/:id)
 * @param {Map<string, Record<string, any>>} steps
 */
export function renderSessionSummary(session, steps) {
  const open = [...steps.values()].filter((s) => s.open && !s.interrupted).length;
  const durationMillis =
    session.durationNanos !== null && session.durationNanos !== undefined
      ? Number(BigInt(session.durationNanos)) / 1e6
      : millisBetween(session.firstStartUnixNano, String(BigInt(Date.now()) * 1_000_000n));
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
      h('p', { class: 'big' }, formatInt(session.spanCount)),
      facts([
        ['Model calls', formatInt(session.llmCallCount)],
        ['Tool calls', formatInt(session.toolCallCount)],
        ['Errors', session.errorCount > 0 ? h('span', { class: 'has-errors' }, formatInt(session.errorCount)) : '0'],
        ['Running', open > 0 ? formatInt(open) : null],
        ['Interrupted', session.interruptedCount > 0 ? formatInt(session.interruptedCount) : null],
      ]),
    ),
  );
  return [cards, budgetBars(session), modelTable(session)];
}

/**
 * Budgets are not part of the session JSON yet: when a `budget` object
 * appears, each of its numeric `*limit*` entries is drawn against the
 * session's cost (keys naming usd/cost) or tokens (keys naming tokens).
 * @param {Record<string, any>} session
 */
function budgetBars(session) {
  const budget = session.budget;
  if (budget === null || typeof budget !== 'object') return null;
  const bars = [];
  for (const [key, limit] of Object.entries(budget)) {
    if (typeof limit !== 'number' || limit <= 0 || !/limit/i.test(key)) continue;
    const isCost = /usd|cost/i.test(key);
    const isTokens = /token/i.test(key);
    if (!isCost && !isTokens) continue;
    const used = isCost ? session.costUsd : totalTokens(session.tokens);
    const fraction = used / limit;
    const label = isCost ? `${formatUsd(used)} of ${formatUsd(limit)}` : `${formatInt(used)} of ${formatInt(limit)} tokens`;
    bars.push(
      h(
        'div',
        { class: `budget ${fraction >= 1 ? 'over' : fraction >= 0.8 ? 'warn' : ''}` },
        h('span', {}, isCost ? 'Cost budget' : 'Token budget'),
        h('meter', { min: '0', max: String(limit), low: String(limit * 0.8), high: String(limit * 0.99), optimum: '0', value: String(used), 'aria-label': label }),
        h('span', { class: 'muted' }, `${label} (${Math.round(fraction * 100)}%)`),
      ),
    );
  }
  return bars.length > 0 ? h('section', { class: 'card budgets', 'aria-label': 'Budget' }, h('h2', {}, 'Budget'), bars) : null;
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
