// The sessions list: filters and sort in the URL, pages by cursor, and new or
// changed sessions merged in as the live stream reports them.

import { apiGet, sessionPath } from './api.js';
import { announce, h, replace } from './dom.js';
import { formatAgo, formatCompact, formatDuration, formatTime, formatUsdSignificant, formatWhen, nanosToMillis, totalTokens } from './format.js';
import { openLiveStream } from './live.js';
import { navigate, replaceQuery } from './router.js';
import { createComparePick } from './sessions-compare.js';
import { statusBadge } from './widgets.js';

const PAGE_SIZE = 50;
const REFRESH_THROTTLE_MILLIS = 500;
const POLL_MILLIS = 5000;
const STATUSES = ['running', 'completed', 'failed', 'interrupted'];
const FILTERS = ['status', 'agent', 'model', 'q'];

/** Sortable columns: the API sorts descending, except `oldest`. A column's first sort is the one its first click picks. */
const SORTS = /** @type {const} */ ([
  ['started', 'Started', ['newest', 'oldest']],
  ['activity', 'Last activity', ['recent']],
  ['duration', 'Duration', ['duration']],
  ['tokens', 'Tokens', ['tokens']],
  ['cost', 'Cost', ['cost']],
]);

/**
 * @param {HTMLElement} root
 * @param {import('./router.js').Route} route
 * @param {{ setLiveStatus: (status: string) => void }} app
 */
export function createSessionsView(root, route, app) {
  let query = new URLSearchParams(route.query);
  /** @type {any[]} */
  let items = [];
  /** @type {string | null} */
  let nextCursor = null;
  /** @type {Set<string>} */
  let known = new Set();
  let loading = /** @type {AbortController | null} */ (null);
  let refreshTimer = 0;
  let pollTimer = 0;
  let destroyed = false;

  const tbody = h('tbody');
  const status = h('p', { class: 'muted list-status', role: 'status' });
  const more = h('button', { type: 'button', class: 'btn', hidden: true, onclick: () => void load({ append: true }) }, 'Load more');
  const headRow = h('tr');
  const form = filterForm();
  const pick = createComparePick();

  replace(
    root,
    h('div', { class: 'page-head' }, h('h1', { tabindex: '-1' }, 'Sessions')),
    form,
    h('div', { class: 'table-wrap' }, h('table', { class: 'sessions' }, h('caption', { class: 'sr-only' }, 'Sessions'), h('thead', {}, headRow), tbody)),
    pick.bar,
    status,
    more,
  );
  renderHead();

  const live = openLiveStream({
    onEvent: (event) => {
      if (event.type === 'reset' || event.type.startsWith('session.') || event.type === 'span.started') scheduleRefresh();
    },
    onStatus: (s) => {
      app.setLiveStatus(s);
      if (s === 'unavailable' && !pollTimer) pollTimer = window.setInterval(scheduleRefresh, POLL_MILLIS);
    },
  });
  void load({ append: false });
  const agoTimer = window.setInterval(() => {
    for (const cell of root.querySelectorAll('[data-ago]')) cell.textContent = formatAgo(/** @type {HTMLElement} */ (cell).dataset.ago);
  }, 15000);

  function filterForm() {
    const field = (/** @type {string} */ name, /** @type {string} */ label, /** @type {HTMLElement} */ control) =>
      h('label', { class: 'field' }, h('span', {}, label), control);
    const statusSelect = h(
      'select',
      { name: 'status' },
      h('option', { value: '' }, 'any'),
      STATUSES.map((s) => h('option', { value: s, selected: query.get('status') === s }, s)),
    );
    const text = (/** @type {string} */ name, /** @type {string} */ placeholder) =>
      h('input', { name, type: 'search', value: query.get(name) ?? '', placeholder, autocomplete: 'off', spellcheck: 'false' });
    let typingTimer = 0;
    const onInput = () => {
      clearTimeout(typingTimer);
      typingTimer = window.setTimeout(applyFilters, 350);
    };
    const formEl = h(
      'form',
      { class: 'filters', role: 'search', 'aria-label': 'Filter sessions', onsubmit: (/** @type {Event} */ e) => (e.preventDefault(), applyFilters()) },
      field('status', 'Status', statusSelect),
      field('agent', 'Agent', text('agent', 'name')),
      field('model', 'Model', text('model', 'e.g. gpt-4o')),
      field('q', 'Contains', text('q', 'words in steps')),
    );
    formEl.addEventListener('input', onInput);
    formEl.addEventListener('change', applyFilters);
    return formEl;
  }

  function applyFilters() {
    const data = new FormData(form);
    for (const name of FILTERS) {
      const value = String(data.get(name) ?? '').trim();
      if (value) query.set(name, value);
      else query.delete(name);
    }
    const next = query.toString();
    if (next === new URLSearchParams(location.search).toString()) return;
    replaceQuery(query);
    void load({ append: false });
  }

  function currentSort() {
    return query.get('sort') ?? 'recent';
  }

  function renderHead() {
    const sort = currentSort();
    const sortable = (/** @type {(typeof SORTS)[number]} */ [key, label, values], /** @type {string} */ cls) => {
      const active = /** @type {readonly string[]} */ (values).includes(sort);
      const ariaSort = active ? (sort === 'oldest' ? 'ascending' : 'descending') : 'none';
      const nextSort = values.length > 1 && active ? values[(values.indexOf(/** @type {never} */ (sort)) + 1) % values.length] : values[0];
      return h(
        'th',
        { scope: 'col', 'aria-sort': ariaSort, class: cls, dataset: { sort: key } },
        h(
          'button',
          { type: 'button', class: 'sort', onclick: () => setSort(nextSort) },
          label,
          h('span', { class: 'sort-arrow', 'aria-hidden': 'true' }, active ? (sort === 'oldest' ? '▲' : '▼') : '↕'),
        ),
      );
    };
    const [started, activity, duration, tokens, cost] = SORTS;
    replace(
      headRow,
      pick.headCell(),
      h('th', { scope: 'col' }, 'Status'),
      h('th', { scope: 'col' }, 'Session'),
      h('th', { scope: 'col', class: 'opt c-agent-head' }, 'Agent / models'),
      sortable(started, ''),
      sortable(activity, ''),
      sortable(duration, 'num opt'),
      h('th', { scope: 'col', class: 'num opt' }, 'Steps'),
      sortable(tokens, 'num'),
      sortable(cost, 'num'),
      h('th', { scope: 'col', class: 'num' }, 'Errors'),
    );
  }

  /** @param {string} sort */
  function setSort(sort) {
    if (sort === 'recent') query.delete('sort');
    else query.set('sort', sort);
    replaceQuery(query);
    renderHead();
    /** @type {HTMLElement | null} */ (headRow.querySelector(`[aria-sort]:not([aria-sort="none"]) button`))?.focus();
    void load({ append: false });
  }

  function apiParams(limit = PAGE_SIZE, cursor = /** @type {string | null} */ (null)) {
    /** @type {Record<string, string | number>} */
    const params = { limit };
    for (const name of [...FILTERS, 'sort']) {
      const value = query.get(name);
      if (value) params[name] = value;
    }
    if (cursor) params.cursor = cursor;
    return params;
  }

  /** @param {{ append: boolean, quiet?: boolean }} options */
  async function load({ append, quiet = false }) {
    loading?.abort();
    const controller = new AbortController();
    loading = controller;
    if (!quiet) status.textContent = 'Loading…';
    try {
      // A refresh re-reads as many rows as are shown, so new sessions slot in without losing loaded pages.
      const limit = append ? PAGE_SIZE : Math.min(1000, Math.max(PAGE_SIZE, quiet ? items.length : 0));
      const page = await apiGet('/sessions', apiParams(limit, append ? nextCursor : null), { signal: controller.signal });
      if (destroyed) return;
      const fresh = quiet ? page.items.filter((/** @type {any} */ s) => !known.has(s.sessionId)) : [];
      items = append ? [...items, ...page.items] : page.items;
      nextCursor = page.nextCursor;
      if (!quiet) known = new Set();
      for (const s of items) known.add(s.sessionId);
      render(new Set(fresh.map((/** @type {any} */ s) => s.sessionId)));
      if (fresh.length > 0) announce(`${fresh.length} new session${fresh.length > 1 ? 's' : ''}`);
    } catch (error) {
      if (controller.signal.aborted || destroyed) return;
      status.textContent = `Could not load sessions: ${error instanceof Error ? error.message : String(error)}`;
    } finally {
      if (loading === controller) loading = null;
    }
  }

  /** At most one refresh per interval however many events arrive (a debounce would starve under steady traffic). */
  function scheduleRefresh() {
    if (refreshTimer) return;
    refreshTimer = window.setTimeout(() => {
      refreshTimer = 0;
      if (!loading) void load({ append: false, quiet: true });
      else scheduleRefresh();
    }, REFRESH_THROTTLE_MILLIS);
  }

  /** @param {Set<string>} fresh */
  function render(fresh) {
    pick.clearRows();
    replace(tbody, items.map((s) => row(s, fresh.has(s.sessionId))));
    const filtered = FILTERS.some((name) => query.get(name));
    status.textContent =
      items.length === 0 ? (filtered ? 'No session matches these filters.' : 'No sessions yet. Point an OpenTelemetry SDK at this server.') : `${items.length} session${items.length === 1 ? '' : 's'}${nextCursor ? ' shown' : ''}`;
    more.hidden = nextCursor === null;
  }

  /** @param {any} s @param {boolean} isNew */
  function row(s, isNew) {
    const href = sessionPath(s.sessionId);
    const tokens = totalTokens(s.tokens);
    // Stores older than the title and last-activity fields send neither.
    const title = s.title ?? s.agentName ?? 'session';
    const lastActivity = s.lastActivityUnixNano ?? s.lastEndUnixNano ?? s.firstStartUnixNano;
    const tr = h(
      'tr',
      { class: isNew ? 'is-new' : '', dataset: { sessionId: s.sessionId, status: s.status } },
      pick.cell(s, title),
      h('td', { class: 'c-status' }, statusBadge(s.status)),
      h(
        'td',
        { class: 'c-session' },
        h('a', { href, class: 'session-link', title }, title),
        h('span', { class: 'mono muted session-id', title: s.sessionId }, s.sessionId),
      ),
      // One column, so that the session's keeps its width: the agent (claude-code, codex…), its models under it.
      h('td', { class: 'opt models' }, h('span', { class: 'c-agent' }, s.agentName ?? '–'), h('span', { class: 'muted c-models' }, s.models.join(', ') || '–')),
      h(
        'td',
        { class: 'c-when', title: `Started ${formatTime(s.firstStartUnixNano)}` },
        h('span', { class: 'when-label' }, 'started '),
        h('span', {}, formatWhen(s.firstStartUnixNano)),
        h('span', { class: 'muted', dataset: { ago: s.firstStartUnixNano } }, formatAgo(s.firstStartUnixNano)),
      ),
      h(
        'td',
        { class: 'c-activity', title: `Last activity ${formatTime(lastActivity)}` },
        h('span', { class: 'when-label' }, 'active '),
        h('span', { dataset: { ago: lastActivity } }, formatAgo(lastActivity)),
      ),
      h('td', { class: 'num opt' }, s.durationNanos === null ? 'running' : formatDuration(nanosToMillis(s.durationNanos))),
      h('td', { class: 'num opt' }, String(s.stepCount ?? s.spanCount)),
      h('td', { class: 'num c-tokens', title: `${tokens} tokens`, dataset: { label: 'tokens' } }, formatCompact(tokens)),
      h('td', { class: 'num c-cost', title: `$${s.costUsd}` }, formatUsdSignificant(s.costUsd), s.unpricedCallCount > 0 ? h('span', { class: 'muted', title: `${s.unpricedCallCount} unpriced calls` }, '*') : null),
      h('td', { class: `num c-errors ${s.errorCount > 0 ? 'has-errors' : 'muted'}`, dataset: { label: s.errorCount === 1 ? 'error' : 'errors' } }, String(s.errorCount)),
    );
    // The whole row is a target for the mouse; keyboard users get the link.
    tr.addEventListener('click', (event) => {
      const target = /** @type {Element} */ (event.target);
      if (target.closest('a, button, label, input') || window.getSelection()?.toString()) return;
      navigate(href);
    });
    return tr;
  }

  return {
    /** @param {import('./router.js').Route} next */
    update(next) {
      if (next.name !== 'sessions') return false;
      if (next.query.toString() !== query.toString()) {
        query = new URLSearchParams(next.query);
        for (const name of FILTERS) {
          const control = /** @type {HTMLInputElement | null} */ (form.querySelector(`[name="${name}"]`));
          if (control) control.value = query.get(name) ?? '';
        }
        renderHead();
        void load({ append: false });
      }
      return true;
    },
    destroy() {
      destroyed = true;
      live.close();
      loading?.abort();
      clearTimeout(refreshTimer);
      clearInterval(pollTimer);
      clearInterval(agoTimer);
    },
  };
}
