// The session's Events tab: its OTLP log events in time order, filtered by
// event name and minimum severity, paged with the API's cursor ("Load more"),
// and new ones appended from the live stream while the page is open. Fetched
// and streamed records are merged by id, so one that comes both ways shows once.

import { apiGet, sessionPath } from './api.js';
import { announce, h, replace } from './dom.js';
import { SEVERITY_LEVELS, compareLogs, renderLogEvent } from './log-events.js';
import { errorBox } from './widgets.js';

const PAGE_SIZE = 100;
/** Records read, unfiltered, for the event-name choices when the tab opens filtered (the API's largest page). */
const NAMES_SCAN = 1000;

/**
 * @typedef {import('./log-events.js').LogRecord} LogRecord
 * @typedef {{ eventName: string, minSeverity: string }} EventFilters
 */

/**
 * @param {string} sessionId
 * @param {{
 *   filters: EventFilters,
 *   onFilters: (filters: EventFilters) => void,
 *   stepOf: (spanId: string) => { name: string, href: string } | null,
 * }} options `filters`: from the URL; `onFilters` keeps them there; `stepOf` links an event to its step
 */
export function createSessionEvents(sessionId, options) {
  const filters = { eventName: options.filters.eventName, minSeverity: options.filters.minSeverity };
  /** @type {Map<number, LogRecord>} the loaded records, by id */
  let items = new Map();
  /** @type {Set<string>} every event name seen in this session, whatever the filter */
  const names = new Set();
  /** @type {string | null} */
  let nextCursor = null;
  /** Whether the first page has loaded (live records before that come with it). */
  let loaded = false;
  /** @type {LogRecord[] | null} streamed while a page is on its way */
  let held = null;
  /** @type {AbortController | null} */
  let loading = null;
  /** @type {unknown} */
  let error = null;
  let started = false;
  /** @type {Map<number, { el: HTMLElement, step: string }>} each record's item, kept so an opened detail stays open */
  const rendered = new Map();
  let namesShown = '';
  let probing = false;

  const nameSelect = /** @type {HTMLSelectElement} */ (h('select', { name: 'eventName', id: 'events-name' }));
  const severitySelect = /** @type {HTMLSelectElement} */ (
    h(
      'select',
      { name: 'minSeverity', id: 'events-severity' },
      h('option', { value: '' }, 'any'),
      SEVERITY_LEVELS.map(([n, name]) => h('option', { value: String(n), selected: filters.minSeverity === String(n) }, `${name} and above`)),
      // A hand-made link may say `severity=warn` or `=14`: shown as it is rather than as "any".
      filters.minSeverity && !SEVERITY_LEVELS.some(([n]) => String(n) === filters.minSeverity) ? h('option', { value: filters.minSeverity, selected: true }, filters.minSeverity) : null,
    )
  );
  const form = h(
    'form',
    { class: 'filters events-filters', role: 'search', 'aria-label': 'Filter events', onsubmit: (/** @type {Event} */ e) => e.preventDefault(), onchange: applyFilters },
    h('label', { class: 'field' }, h('span', {}, 'Event name'), nameSelect),
    h('label', { class: 'field' }, h('span', {}, 'Minimum severity'), severitySelect),
  );
  const list = h('ol', { class: 'log-events session-log-events', 'aria-label': 'Log events' });
  const status = h('div', { class: 'muted list-status', role: 'status' });
  const more = h('button', { type: 'button', class: 'btn', hidden: true, onclick: () => void load({ append: true }) }, 'Load more');
  const element = h('section', { class: 'events-section', id: 'tab-events', role: 'tabpanel', 'aria-labelledby': 'tab-events-button' }, form, status, list, more);
  renderNames();

  function applyFilters() {
    filters.eventName = nameSelect.value;
    filters.minSeverity = severitySelect.value;
    options.onFilters({ ...filters });
    void load({ append: false });
  }

  function renderNames() {
    const all = [...names];
    if (filters.eventName && !names.has(filters.eventName)) all.push(filters.eventName);
    all.sort((a, b) => a.localeCompare(b));
    const key = JSON.stringify([filters.eventName, all]);
    if (key === namesShown) return;
    namesShown = key;
    replace(nameSelect, h('option', { value: '' }, 'any'), all.map((name) => h('option', { value: name, selected: name === filters.eventName }, name)));
  }

  /**
   * Opened with a filter (a reload, a shared link), the list holds only what
   * passes it: the other names come from one unfiltered page of the session.
   */
  async function learnNames() {
    try {
      const page = await apiGet(`${sessionPath(sessionId)}/events`, { limit: NAMES_SCAN });
      for (const log of page.items) if (log.eventName) names.add(log.eventName);
      if (loaded && error === null) renderNames();
    } catch {
      // The choices stay those seen so far; the list itself says what went wrong, if anything did.
    }
  }

  /** @param {LogRecord} log */
  function matches(log) {
    if (filters.eventName && log.eventName !== filters.eventName) return false;
    return !filters.minSeverity || (log.severityNumber ?? 0) >= Number(filters.minSeverity);
  }

  /** @param {{ append: boolean }} options */
  async function load({ append }) {
    loading?.abort();
    const controller = new AbortController();
    loading = controller;
    held ??= [];
    if (!append) {
      loaded = false;
      error = null;
      status.textContent = 'Loading events…';
    }
    more.disabled = true;
    try {
      const page = await apiGet(
        `${sessionPath(sessionId)}/events`,
        { eventName: filters.eventName, minSeverity: filters.minSeverity, limit: PAGE_SIZE, cursor: append ? nextCursor : null },
        { signal: controller.signal },
      );
      if (controller.signal.aborted) return;
      if (!append) {
        items = new Map();
        rendered.clear();
      }
      for (const log of page.items) {
        items.set(log.id, log);
        if (log.eventName) names.add(log.eventName);
      }
      nextCursor = page.nextCursor ?? null;
      loaded = true;
      const streamed = held ?? [];
      held = null;
      for (const log of streamed) merge(log);
      render();
    } catch (caught) {
      if (controller.signal.aborted) return;
      const streamed = held ?? [];
      held = null;
      if (append) {
        // The pages shown stay good: keep what streamed meanwhile, and say what failed.
        for (const log of streamed) merge(log);
        render();
        status.textContent = `Could not load more events: ${caught instanceof Error ? caught.message : String(caught)}`;
      } else {
        error = caught;
        render();
      }
    } finally {
      if (loading === controller) loading = null;
      more.disabled = false;
    }
  }

  /**
   * A record from the stream. Kept when it passes the filters and belongs to
   * what is shown: with more pages to load, one that sorts after the last
   * loaded record comes with those pages instead (the list stays a prefix).
   * @param {LogRecord} log @returns {boolean} whether the list gained it
   */
  function merge(log) {
    if (!matches(log) || items.has(log.id)) return false;
    if (nextCursor !== null) {
      const last = [...items.values()].sort(compareLogs).at(-1);
      if (last === undefined || compareLogs(log, last) > 0) return false;
    }
    items.set(log.id, log);
    return true;
  }

  function render() {
    if (error !== null) {
      replace(list);
      rendered.clear();
      replace(status, errorBox(error, 'Could not load the events'));
      more.hidden = true;
      return;
    }
    renderNames();
    const sorted = [...items.values()].sort(compareLogs);
    syncChildren(list, sorted.map(itemOf));
    for (const id of rendered.keys()) if (!items.has(id)) rendered.delete(id);
    const filtered = Boolean(filters.eventName || filters.minSeverity);
    status.textContent =
      sorted.length === 0
        ? filtered
          ? 'No log events match these filters.'
          : 'No log events for this session.'
        : `${sorted.length} event${sorted.length === 1 ? '' : 's'}${nextCursor === null ? '' : ' shown'}`;
    more.hidden = nextCursor === null;
  }

  /** @param {LogRecord} log */
  function itemOf(log) {
    const step = log.spanId ? options.stepOf(log.spanId) : null;
    const key = step ? `${step.href} ${step.name}` : '';
    const old = rendered.get(log.id);
    if (old && old.step === key) return old.el;
    const el = renderLogEvent(log, { step });
    rendered.set(log.id, { el, step: key });
    return el;
  }

  return {
    element,
    /** Loads the first page when the tab is first shown. */
    show() {
      if (started) return;
      started = true;
      void load({ append: false });
      if (filters.eventName || filters.minSeverity) void learnNames();
    },
    /** A `log` event of the live stream. @param {LogRecord} log */
    addLive(log) {
      if (log.sessionId !== null && log.sessionId !== sessionId) return;
      const isNewName = Boolean(log.eventName) && !names.has(log.eventName);
      if (log.eventName) names.add(log.eventName);
      if (held !== null) held.push(log);
      else if (loaded && merge(log)) {
        render();
        announce(`New event: ${log.eventName || 'log record'}`);
      } else if (loaded && isNewName) renderNames();
    },
    /**
     * A session with no spans yet may have log events (Claude Code sends no
     * spans unless asked to): when it has, `root` shows them, while `stillWaiting()`.
     * @param {HTMLElement} root @param {() => boolean} stillWaiting
     */
    async showLogsOnly(root, stillWaiting) {
      if (probing || root.contains(element)) return;
      probing = true;
      try {
        const page = await apiGet(`${sessionPath(sessionId)}/events`, { limit: 1 });
        if (page.items.length === 0 || !stillWaiting() || root.contains(element)) return;
        replace(root, ...logsOnlyPage(sessionId, element));
        this.show();
      } catch {
        // Still waiting: the next log event asks again.
      } finally {
        probing = false;
      }
    },
    /** Reads the list again (after the live stream lost its place). */
    reload() {
      if (started) void load({ append: false });
    },
    /** Steps arrived or changed: re-link the events to them. */
    refresh() {
      if (loaded && error === null) render();
    },
    destroy() {
      loading?.abort();
    },
  };
}

/**
 * Puts `nodes` in `list` in this order, moving only what must move: the items
 * already shown stay attached (an opened detail, focus or a selection in them
 * survives a live append).
 * @param {Element} list @param {Node[]} nodes
 */
function syncChildren(list, nodes) {
  nodes.forEach((node, i) => {
    const at = list.childNodes[i] ?? null;
    if (at !== node) list.insertBefore(node, at);
  });
  while (list.childNodes.length > nodes.length) /** @type {ChildNode} */ (list.lastChild).remove();
}

/**
 * The page of a session known only by its log events (Claude Code sends no
 * spans unless asked to): the events, and a word that the steps come with spans.
 * @param {string} sessionId @param {HTMLElement} eventsElement
 */
function logsOnlyPage(sessionId, eventsElement) {
  eventsElement.hidden = false;
  return [
    h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, h('a', { href: '/sessions' }, 'Sessions'), ' / '),
    h('h1', { tabindex: '-1' }, `Session ${sessionId}`),
    h('p', { class: 'muted logs-only' }, 'This session has sent log events but no spans: its steps, totals and chat appear here when spans arrive.'),
    h('h2', { class: 'logs-only-title' }, 'Events'),
    eventsElement,
  ];
}
