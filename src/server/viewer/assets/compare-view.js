// Two sessions side by side (`/compare/<a>/<b>`), e.g. the same agent before
// and after a prompt or model change: totals with their deltas on top, then
// the steps aligned by type, name and order, with the deltas of duration,
// tokens and cost per step and the errors on either side.

import { apiGet, sessionPath } from './api.js';
import { h, replace } from './dom.js';
import { formatDuration, formatInt, formatUsd, totalTokens } from './format.js';
import { alignSteps, durationMillis } from './compare-align.js';
import { errorBox, statusBadge, stepTypeLabel } from './widgets.js';

/**
 * @param {HTMLElement} root
 * @param {import('./router.js').Route} route
 */
export function createCompareView(root, route) {
  const [idA, idB] = route.params;
  const controller = new AbortController();
  replace(root, h('p', { class: 'muted' }, 'Loading both sessions…'));
  void load();

  async function load() {
    try {
      const read = (/** @type {string} */ id) =>
        Promise.all([apiGet(sessionPath(id), {}, { signal: controller.signal }), apiGet(`${sessionPath(id)}/timeline`, {}, { signal: controller.signal })]);
      const [[a, timelineA], [b, timelineB]] = await Promise.all([read(idA), read(idB)]);
      replace(root, render(a, timelineA.steps, b, timelineB.steps));
      /** @type {HTMLElement | null} */ (root.querySelector('h1'))?.focus({ preventScroll: true });
    } catch (error) {
      if (controller.signal.aborted) return;
      replace(root, h('p', {}, h('a', { href: '/sessions' }, '← Sessions')), errorBox(error, 'Could not load both sessions'));
    }
  }

  return {
    /** @param {import('./router.js').Route} next */
    update(next) {
      return next.name === 'compare' && next.params[0] === idA && next.params[1] === idB;
    },
    destroy() {
      controller.abort();
    },
  };
}

/** @param {Record<string, any>} a @param {any[]} stepsA @param {Record<string, any>} b @param {any[]} stepsB */
function render(a, stepsA, b, stepsB) {
  const rows = alignSteps(stepsA, stepsB);
  const onlyA = rows.filter((r) => r.b === null).length;
  const onlyB = rows.filter((r) => r.a === null).length;
  return h(
    'div',
    { class: 'compare' },
    h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, h('a', { href: '/sessions' }, 'Sessions'), ' / '),
    h('h1', { tabindex: '-1' }, 'Compare sessions'),
    h(
      'div',
      { class: 'compare-heads' },
      sessionHead('A', a),
      h('a', { class: 'btn btn-small', href: `/compare/${encodeURIComponent(b.sessionId)}/${encodeURIComponent(a.sessionId)}` }, '⇄ Swap'),
      sessionHead('B', b),
    ),
    totalsTable(a, b),
    h(
      'section',
      { class: 'card compare-steps' },
      h('h2', {}, 'Steps'),
      h('p', { class: 'muted small' }, `${rows.length - onlyA - onlyB} steps in both, ${onlyA} only in A, ${onlyB} only in B. Matched by type and name, in order; Δ is B − A.`),
      h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          { class: 'compare-table' },
          h(
            'thead',
            {},
            h('tr', {}, ['Step', 'A time', 'B time', 'Δ time', 'A tokens', 'B tokens', 'Δ tokens', 'Δ cost', 'Errors'].map((label, i) => h('th', { scope: 'col', class: i === 0 ? '' : i === 8 ? '' : 'num' }, label))),
          ),
          h(
            'tbody',
            {},
            rows.flatMap((row, i) => {
              const line = stepRow(row, a.sessionId, b.sessionId);
              const turns = Math.max(a.traceIds?.length ?? 1, b.traceIds?.length ?? 1);
              if (turns < 2 || (i > 0 && rows[i - 1].turn === row.turn)) return [line];
              return [h('tr', { class: 'compare-turn' }, h('th', { scope: 'rowgroup', colspan: '9' }, `Turn ${row.turn + 1}`)), line];
            }),
          ),
        ),
      ),
    ),
  );
}

/** @param {string} label @param {Record<string, any>} s */
function sessionHead(label, s) {
  return h(
    'div',
    { class: 'compare-head' },
    h('span', { class: 'compare-tag' }, label),
    h('a', { href: sessionPath(s.sessionId) }, s.title ?? s.agentName ?? 'Session'),
    ' ',
    statusBadge(s.status),
    h('div', { class: 'mono muted small session-id' }, s.sessionId),
  );
}

/**
 * A signed difference, said with its direction (more time, tokens, cost or
 * errors is worse). @param {number | null} a @param {number | null} b @param {(n: number) => string} format
 */
function delta(a, b, format) {
  if (a === null || b === null) return h('span', { class: 'muted' }, '–');
  const d = b - a;
  if (Math.abs(d) < 1e-12) return h('span', { class: 'delta delta-same' }, '±0');
  const percent = a !== 0 ? h('span', { class: 'delta-pct' }, ` (${d > 0 ? '+' : '−'}${Math.abs((d / a) * 100).toFixed(0)}%)`) : null;
  return h('span', { class: `delta ${d > 0 ? 'delta-up' : 'delta-down'}` }, `${d > 0 ? '+' : '−'}${format(Math.abs(d))}`, percent);
}

/** @param {Record<string, any>} s */
const durationOf = (s) => (s.durationNanos === null || s.durationNanos === undefined ? null : Number(BigInt(s.durationNanos)) / 1e6);

/** @param {Record<string, any>} a @param {Record<string, any>} b */
function totalsTable(a, b) {
  /** @type {[string, number | null, number | null, (n: number) => string][]} */
  const metrics = [
    ['Tokens', totalTokens(a.tokens), totalTokens(b.tokens), formatInt],
    ['Cost', a.costUsd, b.costUsd, formatUsd],
    ['Duration', durationOf(a), durationOf(b), formatDuration],
    ['Steps', a.stepCount ?? a.spanCount, b.stepCount ?? b.spanCount, formatInt],
    ['Model calls', a.llmCallCount, b.llmCallCount, formatInt],
    ['Tool calls', a.toolCallCount, b.toolCallCount, formatInt],
    ['Errors', a.errorCount, b.errorCount, formatInt],
  ];
  return h(
    'section',
    { class: 'card compare-totals' },
    h('h2', {}, 'Totals'),
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        {},
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, ''), h('th', { scope: 'col', class: 'num' }, 'A'), h('th', { scope: 'col', class: 'num' }, 'B'), h('th', { scope: 'col', class: 'num' }, 'Δ (B − A)'))),
        h(
          'tbody',
          {},
          metrics.map(([label, x, y, format]) =>
            h('tr', { dataset: { metric: label } }, h('th', { scope: 'row' }, label), h('td', { class: 'num' }, x === null ? '–' : format(x)), h('td', { class: 'num' }, y === null ? '–' : format(y)), h('td', { class: 'num' }, delta(x, y, format))),
          ),
        ),
      ),
    ),
  );
}

/** @param {import('./compare-align.js').AlignedRow} row @param {string} idA @param {string} idB */
function stepRow({ a, b, depth }, idA, idB) {
  const s = /** @type {Record<string, any>} */ (a ?? b);
  const tokens = (/** @type {Record<string, any> | null} */ x) => (x === null ? null : totalTokens(x.tokens));
  const cost = (/** @type {Record<string, any> | null} */ x) => (x === null ? null : (x.costUsd ?? 0));
  const link = (/** @type {Record<string, any> | null} */ x, /** @type {string} */ id, /** @type {string} */ text) =>
    x === null ? h('span', { class: 'muted' }, '—') : h('a', { href: `${sessionPath(id)}/steps/${encodeURIComponent(x.spanId)}` }, text);
  const side = a === null ? 'only-b' : b === null ? 'only-a' : 'both';
  const errors = [a?.isError ? 'A' : null, b?.isError ? 'B' : null].filter(Boolean).join(', ');
  return h(
    'tr',
    { class: `compare-row ${side} type-${s.stepType}`, dataset: { side } },
    h(
      'th',
      { scope: 'row', class: 'compare-name', style: { '--depth': String(Math.min(depth, 8)) } },
      h('span', { class: 'wf-icon', 'aria-hidden': 'true' }),
      h('span', { class: 'sr-only' }, `${stepTypeLabel(s.stepType)}: `),
      s.name,
      side === 'both' ? null : h('span', { class: 'compare-only' }, side === 'only-a' ? ' only in A' : ' only in B'),
    ),
    h('td', { class: 'num' }, link(a, idA, formatDuration(durationMillis(a)))),
    h('td', { class: 'num' }, link(b, idB, formatDuration(durationMillis(b)))),
    h('td', { class: 'num' }, delta(durationMillis(a), durationMillis(b), formatDuration)),
    h('td', { class: 'num' }, a === null ? '—' : formatInt(tokens(a))),
    h('td', { class: 'num' }, b === null ? '—' : formatInt(tokens(b))),
    h('td', { class: 'num' }, delta(tokens(a), tokens(b), formatInt)),
    h('td', { class: 'num' }, delta(cost(a), cost(b), formatUsd)),
    h('td', { class: errors ? 'has-errors' : 'muted' }, errors || '–'),
  );
}
