// Full-text search across sessions: hits link to their step, matches highlighted.

import { apiGet, sessionPath } from './api.js';
import { h, highlighted, replace } from './dom.js';
import { formatWhen, shortId } from './format.js';
import { replaceQuery } from './router.js';
import { errorBox, stepTypeBadge } from './widgets.js';

/** @param {HTMLElement} root @param {import('./router.js').Route} route */
export function createSearchView(root, route) {
  let query = new URLSearchParams(route.query);
  let controller = /** @type {AbortController | null} */ (null);
  const input = h('input', { type: 'search', name: 'q', id: 'search-q', value: query.get('q') ?? '', placeholder: 'words in step names, inputs, outputs, reasoning', autocomplete: 'off', spellcheck: 'false' });
  const results = h('div', { class: 'search-results', 'aria-live': 'polite' });
  const form = h(
    'form',
    { class: 'searchbar', role: 'search', onsubmit: (/** @type {Event} */ e) => (e.preventDefault(), submit()) },
    h('label', { for: 'search-q', class: 'sr-only' }, 'Search'),
    input,
    h('button', { type: 'submit', class: 'btn btn-primary' }, 'Search'),
  );
  replace(root, h('div', { class: 'page-head' }, h('h1', { tabindex: '-1' }, 'Search')), form, results);
  if (!query.get('q')) /** @type {HTMLInputElement} */ (input).focus();
  void run();

  function submit() {
    const q = /** @type {HTMLInputElement} */ (input).value.trim();
    if (q) query.set('q', q);
    else query.delete('q');
    replaceQuery(query);
    void run();
  }

  async function run() {
    const q = query.get('q');
    controller?.abort();
    if (!q) {
      replace(results, h('p', { class: 'muted' }, 'Every word must occur. Results are the newest matching steps.'));
      return;
    }
    const mine = new AbortController();
    controller = mine;
    replace(results, h('p', { class: 'muted' }, 'Searching…'));
    try {
      const result = await apiGet('/search', { q, limit: 100 }, { signal: mine.signal });
      if (mine.signal.aborted) return;
      replace(
        results,
        h('p', { class: 'muted' }, result.hits.length === 0 ? `Nothing matches “${q}”.` : `${result.hits.length}${result.hits.length === 100 ? '+' : ''} matching steps`),
        h(
          'ol',
          { class: 'hits' },
          result.hits.map((/** @type {any} */ hit) =>
            h(
              'li',
              { class: 'hit' },
              h(
                'a',
                { href: `${sessionPath(hit.sessionId)}/steps/${encodeURIComponent(hit.spanId)}` },
                h('span', { class: 'hit-head' }, stepTypeBadge(hit.stepType), h('strong', {}, hit.name)),
                h('span', { class: 'hit-snippet' }, highlighted(hit.snippet, result.markers)),
                h('span', { class: 'muted small' }, `session ${shortId(hit.sessionId, 20)} · ${formatWhen(hit.startTimeUnixNano)}`),
              ),
            ),
          ),
        ),
      );
    } catch (error) {
      if (!mine.signal.aborted) replace(results, errorBox(error, 'Search failed'));
    }
  }

  return {
    /** @param {import('./router.js').Route} next */
    update(next) {
      if (next.name !== 'search') return false;
      if (next.query.toString() !== query.toString()) {
        query = new URLSearchParams(next.query);
        /** @type {HTMLInputElement} */ (input).value = query.get('q') ?? '';
        void run();
      }
      return true;
    },
    destroy() {
      controller?.abort();
    },
  };
}
