// Usage and cost of model calls, by model, provider, agent or user and by UTC
// day (every day of the range, empty ones as zero rows), as charts and tables.

import { apiGet } from './api.js';
import { h, replace } from './dom.js';
import { formatCompact, formatDuration, formatInt, formatUsdSignificant, nanosToMillis } from './format.js';
import { horizontalBars, verticalBars } from './charts.js';
import { replaceQuery } from './router.js';
import { card, errorBox } from './widgets.js';

const RANGES = [
  ['', 'All time'],
  ['24h', 'Last 24 hours'],
  ['7d', 'Last 7 days'],
  ['30d', 'Last 30 days'],
];
const RANGE_MILLIS = /** @type {Record<string, number>} */ ({ '24h': 86_400_000, '7d': 7 * 86_400_000, '30d': 30 * 86_400_000 });

/** The groupings the API offers besides days: `?by=` of this page and of `GET /api/stats`. */
const GROUPS = [
  ['model', 'Model'],
  ['provider', 'Provider'],
  ['agent', 'Agent'],
  ['user', 'User'],
];
const DAY_MILLIS = 86_400_000;
/** Empty days are filled in up to this many (an all-time range over years stays a readable chart). */
const MAX_DAYS = 400;

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
  const views = h(
    'div',
    { class: 'stats-views', role: 'group', 'aria-label': 'Group by' },
    GROUPS.map(([value, label]) =>
      h('button', { type: 'button', class: 'btn btn-small', dataset: { by: value }, 'aria-pressed': String(groupOf() === value), onclick: () => setGroup(value) }, `By ${label.toLowerCase()}`),
    ),
  );
  replace(
    root,
    h('div', { class: 'page-head' }, h('h1', { tabindex: '-1' }, 'Stats'), h('label', { class: 'field inline' }, h('span', {}, 'Range'), range)),
    h('p', { class: 'muted' }, 'Model calls only, so agent spans that repeat their children’s usage are not counted twice.'),
    views,
    content,
  );
  void load();

  function groupOf() {
    const by = query.get('by') ?? 'model';
    return GROUPS.some(([value]) => value === by) ? by : 'model';
  }

  /** @param {string} by */
  function setGroup(by) {
    if (by === 'model') query.delete('by');
    else query.set('by', by);
    replaceQuery(query);
    for (const button of views.querySelectorAll('button')) button.setAttribute('aria-pressed', String(/** @type {HTMLElement} */ (button).dataset.by === by));
    void load();
  }

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
      const by = groupOf();
      const [byGroup, byDay] = await Promise.all([
        apiGet('/stats', { by, from }, { signal: mine.signal }),
        apiGet('/stats', { by: 'day', from }, { signal: mine.signal }),
      ]);
      if (mine.signal.aborted) return;
      render(by, byGroup.rows, fillDays(byDay.rows, from ? RANGE_MILLIS[from] ?? null : null, Date.now()));
    } catch (error) {
      if (!mine.signal.aborted) replace(content, errorBox(error, 'Could not load stats'));
    }
  }

  /** @param {string} by @param {any[]} models @param {any[]} days */
  function render(by, models, days) {
    const groupLabel = (GROUPS.find(([value]) => value === by) ?? GROUPS[0])[1].toLowerCase();
    if (models.length === 0) {
      replace(content, h('p', { class: 'muted' }, 'No model calls in this range.'));
      return;
    }
    const byCost = [...models].sort((a, b) => b.costUsd - a.costUsd);
    const byTokens = [...models].sort((a, b) => b.tokens.input + b.tokens.output - (a.tokens.input + a.tokens.output));
    const chronological = days;
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
        chartCard(`Cost by ${groupLabel}`, null, (width) =>
          horizontalBars({ width, title: `Cost by ${groupLabel}`, series: ['Cost'], rows: byCost.map((r) => ({ label: r.key, values: [r.costUsd] })), format: formatUsdSignificant }),
        ),
        chartCard(`Tokens by ${groupLabel}`, io, (width) =>
          horizontalBars({ width, title: `Tokens by ${groupLabel}, input and output`, series: io, rows: byTokens.map((r) => ({ label: r.key, values: [r.tokens.input, r.tokens.output] })), format: formatCompact }),
        ),
        chartCard('Cost by day (UTC)', null, (width) =>
          verticalBars({ width, title: 'Cost by day', series: ['Cost'], rows: chronological.map((r) => ({ label: r.key, values: [r.costUsd] })), format: formatUsdSignificant }),
        ),
        chartCard('Tokens by day (UTC)', io, (width) =>
          verticalBars({ width, title: 'Tokens by day, input and output', series: io, rows: chronological.map((r) => ({ label: r.key, values: [r.tokens.input, r.tokens.output] })), format: formatCompact }),
        ),
      ),
      statsTable(`By ${groupLabel}`, models),
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
        for (const button of views.querySelectorAll('button')) button.setAttribute('aria-pressed', String(/** @type {HTMLElement} */ (button).dataset.by === groupOf()));
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
            ['', 'Calls', 'Errors', 'Input', 'Output', 'Reasoning', 'Cache read', 'Cache write', 'Cost', 'p50', 'p95'].map((label, i) =>
              h('th', { scope: 'col', class: i === 0 ? '' : i >= 5 && i !== 8 ? 'num opt' : 'num' }, label),
            ),
          ),
        ),
        h(
          'tbody',
          {},
          rows.map((r) =>
            h(
              'tr',
              { class: r.calls === 0 ? 'empty-day' : '' },
              h('th', { scope: 'row' }, r.key),
              h('td', { class: 'num' }, formatInt(r.calls)),
              h('td', { class: `num ${r.errors > 0 ? 'has-errors' : ''}` }, formatInt(r.errors)),
              h('td', { class: 'num' }, formatInt(r.tokens.input)),
              h('td', { class: 'num' }, formatInt(r.tokens.output)),
              h('td', { class: 'num opt' }, formatInt(r.tokens.reasoning)),
              h('td', { class: 'num opt' }, formatInt(r.tokens.cacheRead)),
              h('td', { class: 'num opt' }, formatInt(r.tokens.cacheWrite)),
              h('td', { class: 'num', title: `$${r.costUsd}` }, formatUsdSignificant(r.costUsd)),
              h('td', { class: 'num opt' }, formatDuration(nanosToMillis(r.p50DurationNanos))),
              h('td', { class: 'num opt' }, formatDuration(nanosToMillis(r.p95DurationNanos))),
            ),
          ),
        ),
      ),
    ),
  );
}

/**
 * Every UTC day from the range's first day (or the first day with calls) to today (or the last day with
 * calls), oldest first, days without calls as zero rows. Keys are `YYYY-MM-DD`, so they sort as dates.
 * @param {any[]} rows @param {number | null} rangeMillis @param {number} nowMillis
 */
export function fillDays(rows, rangeMillis, nowMillis) {
  const byKey = new Map(rows.map((r) => [r.key, r]));
  const keys = [...byKey.keys()].sort();
  if (keys.length === 0 && rangeMillis === null) return [];
  const startKey = rangeMillis !== null ? dayKey(nowMillis - rangeMillis) : keys[0];
  const endKey = rangeMillis !== null ? dayKey(nowMillis) : keys[keys.length - 1];
  const start = Math.max(Date.parse(`${startKey}T00:00:00Z`), Date.parse(`${endKey}T00:00:00Z`) - (MAX_DAYS - 1) * DAY_MILLIS);
  const out = [];
  for (let t = start; dayKey(t) <= endKey; t += DAY_MILLIS) {
    const key = dayKey(t);
    out.push(byKey.get(key) ?? emptyDay(key));
  }
  // A day outside the filled span (a clock far off) is still shown, in order.
  for (const key of keys) if (key < dayKey(start) || key > endKey) out.push(byKey.get(key));
  return out.sort((a, b) => a.key.localeCompare(b.key));
}

/** @param {number} millis */
function dayKey(millis) {
  return new Date(millis).toISOString().slice(0, 10);
}

/** @param {string} key */
function emptyDay(key) {
  return { key, calls: 0, errors: 0, tokens: { input: 0, output: 0, reasoning: 0, cacheRead: 0, cacheWrite: 0 }, costUsd: 0, p50DurationNanos: null, p95DurationNanos: null };
}
