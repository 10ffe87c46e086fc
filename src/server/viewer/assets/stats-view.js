// Usage and cost of model calls, by model and by UTC day, as charts and tables.

import { apiGet } from './api.js';
import { h, replace } from './dom.js';
import { formatCompact, formatDuration, formatInt, formatUsd, nanosToMillis } from './format.js';
import { horizontalBars, verticalBars } from './charts.js';
import { replaceQuery } from './router.js';
import { card, errorBox } from './widgets.js';

const RANGES = [
  ['', 'All time'],
  ['24h', 'Last 24 hours'],
  ['7d', 'Last 7 days'],
  ['30d', 'Last 30 days'],
];

/** @param {HTMLElement} root @param {import('./router.js').Route} route */
export function createStatsView(root, route) {
  let query = new URLSearchParams(route.query);
  let controller = /** @type {AbortController | null} */ (null);
  const range = h(
    'select',
    { id: 'stats-range', onchange: () => setRange(/** @type {HTMLSelectElement} */ (range).value) },
    RANGES.map(([value, label]) => h('option', { value, selected: (query.get('from') ?? '') === value }, label)),
  );
  const content = h('div', { class: 'stats', 'aria-live': 'polite' });
  replace(
    root,
    h('div', { class: 'page-head' }, h('h1', { tabindex: '-1' }, 'Stats'), h('label', { class: 'field inline' }, h('span', {}, 'Range'), range)),
    h('p', { class: 'muted' }, 'Model calls only, so agent spans that repeat their children’s usage are not counted twice.'),
    content,
  );
  void load();

  /** @param {string} from */
  function setRange(from) {
    if (from) query.set('from', from);
    else query.delete('from');
    replaceQuery(query);
    void load();
  }

  async function load() {
    controller?.abort();
    const mine = new AbortController();
    controller = mine;
    replace(content, h('p', { class: 'muted' }, 'Loading…'));
    const from = query.get('from') ?? undefined;
    try {
      const [byModel, byDay] = await Promise.all([
        apiGet('/stats', { by: 'model', from }, { signal: mine.signal }),
        apiGet('/stats', { by: 'day', from }, { signal: mine.signal }),
      ]);
      if (mine.signal.aborted) return;
      render(byModel.rows, byDay.rows);
    } catch (error) {
      if (!mine.signal.aborted) replace(content, errorBox(error, 'Could not load stats'));
    }
  }

  /** @param {any[]} models @param {any[]} days */
  function render(models, days) {
    if (models.length === 0) {
      replace(content, h('p', { class: 'muted' }, 'No model calls in this range.'));
      return;
    }
    const byCost = [...models].sort((a, b) => b.costUsd - a.costUsd);
    const byTokens = [...models].sort((a, b) => b.tokens.input + b.tokens.output - (a.tokens.input + a.tokens.output));
    const chronological = [...days].sort((a, b) => a.key.localeCompare(b.key));
    const io = ['Input', 'Output'];
    /** @type {[HTMLElement, (width: number) => SVGElement][]} */
    const charts = [];
    const chartCard = (/** @type {string} */ title, /** @type {string[] | null} */ legendSeries, /** @type {(width: number) => SVGElement} */ draw) => {
      const slot = h('div', { class: 'chart-slot' });
      charts.push([slot, draw]);
      return card(title, legendSeries ? seriesLegend(legendSeries) : null, slot);
    };
    replace(
      content,
      h(
        'div',
        { class: 'charts' },
        chartCard('Cost by model', null, (width) =>
          horizontalBars({ width, title: 'Cost by model', series: ['Cost'], rows: byCost.map((r) => ({ label: r.key, values: [r.costUsd] })), format: formatUsd }),
        ),
        chartCard('Tokens by model', io, (width) =>
          horizontalBars({ width, title: 'Tokens by model, input and output', series: io, rows: byTokens.map((r) => ({ label: r.key, values: [r.tokens.input, r.tokens.output] })), format: formatCompact }),
        ),
        chartCard('Cost by day (UTC)', null, (width) =>
          verticalBars({ width, title: 'Cost by day', series: ['Cost'], rows: chronological.map((r) => ({ label: r.key, values: [r.costUsd] })), format: formatUsd }),
        ),
        chartCard('Tokens by day (UTC)', io, (width) =>
          verticalBars({ width, title: 'Tokens by day, input and output', series: io, rows: chronological.map((r) => ({ label: r.key, values: [r.tokens.input, r.tokens.output] })), format: formatCompact }),
        ),
      ),
      statsTable('By model', models),
      statsTable('By day', [...chronological].reverse()),
    );
    // Drawn once in the page, at the size each slot got.
    for (const [slot, draw] of charts) slot.append(draw(Math.max(280, Math.min(800, slot.clientWidth))));
  }

  return {
    /** @param {import('./router.js').Route} next */
    update(next) {
      if (next.name !== 'stats') return false;
      if (next.query.toString() !== query.toString()) {
        query = new URLSearchParams(next.query);
        /** @type {HTMLSelectElement} */ (range).value = query.get('from') ?? '';
        void load();
      }
      return true;
    },
    destroy() {
      controller?.abort();
    },
  };
}

/** @param {string[]} series */
function seriesLegend(series) {
  return h('ul', { class: 'legend' }, series.map((name, i) => h('li', {}, h('span', { class: `swatch chart-s${i}`, 'aria-hidden': 'true' }), name)));
}

/** @param {string} title @param {any[]} rows */
function statsTable(title, rows) {
  return h(
    'section',
    { class: 'card' },
    h('h2', {}, title),
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { class: 'stats-table' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ['', 'Calls', 'Errors', 'Input', 'Output', 'Reasoning', 'Cache read', 'Cost', 'p50', 'p95'].map((label, i) =>
              h('th', { scope: 'col', class: i === 0 ? '' : i >= 5 && i !== 7 ? 'num opt' : 'num' }, label),
            ),
          ),
        ),
        h(
          'tbody',
          {},
          rows.map((r) =>
            h(
              'tr',
              {},
              h('th', { scope: 'row' }, r.key),
              h('td', { class: 'num' }, formatInt(r.calls)),
              h('td', { class: `num ${r.errors > 0 ? 'has-errors' : ''}` }, formatInt(r.errors)),
              h('td', { class: 'num' }, formatInt(r.tokens.input)),
              h('td', { class: 'num' }, formatInt(r.tokens.output)),
              h('td', { class: 'num opt' }, formatInt(r.tokens.reasoning)),
              h('td', { class: 'num opt' }, formatInt(r.tokens.cacheRead)),
              h('td', { class: 'num' }, formatUsd(r.costUsd)),
              h('td', { class: 'num opt' }, formatDuration(nanosToMillis(r.p50DurationNanos))),
              h('td', { class: 'num opt' }, formatDuration(nanosToMillis(r.p95DurationNanos))),
            ),
          ),
        ),
      ),
    ),
  );
}
