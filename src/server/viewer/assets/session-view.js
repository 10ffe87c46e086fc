// A session: the steps first (the waterfall, one group per turn), totals in
// one line that opens into cards and the per-model table, the selected step
// beside the waterfall (on a phone, in its place), a chat replay tab and an
// events tab (OTLP log events). A coding agent's session (one with turn steps)
// opens on its Turns tab (turns-view.js). The data and its live updates: session-data.js.

import { sessionPath } from './api.js';
import { h, keepDetailsState, replace } from './dom.js';
import { clipText } from './format.js';
import { renderChat } from './chat-replay.js';
import { navigate, replaceQuery } from './router.js';
import { createSessionData } from './session-data.js';
import { createSessionEvents } from './session-events.js';
import { sessionSuffix, sessionTabs, viewOf } from './session-tabs.js';
import { renderSessionSummary } from './session-summary.js';
import { comparePicker, downloadTrace, otherTrace, sessionActions, stepTools, turnStart, waitingPage } from './session-tools.js';
import { createStepLogs } from './step-logs.js';
import { renderStep } from './step-view.js';
import { hasTurns } from './turns.js';
import { createTurnsPanel } from './turns-view.js';
import { enableWaterfallKeys, renderWaterfall } from './waterfall.js';
import { STEP_TYPES, errorBox, legend, statusBadge } from './widgets.js';

const TICK_MILLIS = 1000;
const PREVIEW_LENGTH = 160;

/**
 * @param {HTMLElement} root
 * @param {import('./router.js').Route} route
 * @param {{ setLiveStatus: (status: string) => void }} app
 */
export function createSessionView(root, route, app) {
  const sessionId = route.params[0];
  let selectedSpanId = route.name === 'step' ? route.params[1] : null;
  /** The tab the URL or the reader chose; null: the session's first (turns when it has turn steps). */
  let chosenView = route.query.get('view');
  let firstView = 'steps';
  let view = viewOf(chosenView);
  let filterText = route.query.get('filter') ?? '';
  let eventFilters = { eventName: route.query.get('event') ?? '', minSeverity: route.query.get('severity') ?? '' };
  let totalsOpen = false;
  let keepRowFocus = false;
  /** @type {Set<string>} steps whose children are hidden */
  const collapsed = new Set();
  let destroyed = false;
  let renderQueued = false;
  let stepError = /** @type {string | null} */ (null);

  const title = h('h1', { tabindex: '-1' }, 'Session');
  const status = h('span', { class: 'title-status' });
  const idLine = h('p', { class: 'mono muted session-id' }, sessionId);
  const head = h('div', { class: 'session-head' });
  const summary = h('div', { class: 'session-summary' });
  const waterfall = h('div', { class: 'wf', id: 'waterfall' });
  const count = h('span', { class: 'muted wf-count', role: 'status' });
  const panel = h('aside', { class: 'step-panel', 'aria-label': 'Step details' });
  const tools = stepTools({ filterText, onFilter: setFilter, onLookup: lookUpTrace });
  const wfSection = h(
    'section',
    { class: 'wf-section', 'aria-labelledby': 'wf-title' },
    h('div', { class: 'section-head' }, h('h2', { id: 'wf-title' }, 'Steps', ' ', count), tools),
    waterfall,
    legend(STEP_TYPES.filter((t) => t !== 'other')),
  );
  const body = h('div', { class: 'session-body', id: 'tab-steps', role: 'tabpanel', 'aria-labelledby': 'tab-steps-button' }, wfSection, panel);
  const chat = h('section', { class: 'chat-section', id: 'tab-chat', role: 'tabpanel', 'aria-labelledby': 'tab-chat-button' });
  const tabs = sessionTabs(setView);
  const events = createSessionEvents(sessionId, {
    filters: eventFilters,
    onFilters(next) {
      eventFilters = next;
      replaceQuery(new URLSearchParams(suffix()));
    },
    stepOf: (spanId) => (data.steps.has(spanId) ? { name: data.steps.get(spanId)?.name, href: stepHref(spanId, { view: 'steps' }) } : null),
  });
  const stepLogs = createStepLogs({ onChange: queueRender });
  const turns = createTurnsPanel({ loadTrace: (traceId) => data.loadTrace(traceId) });
  const container = h('div', { class: 'session' }, head, summary, tabs.element, turns.element, body, chat, events.element);
  replace(root, h('p', { class: 'muted' }, 'Loading session…'));

  const data = createSessionData(sessionId, {
    selected: () => selectedSpanId,
    onChange: queueRender,
    onLoaded(first) {
      if (!container.contains(events.element)) {
        // It showed only log events until now: keep them in view, unless they made the turns (a coding agent's events).
        container.append(events.element);
        if (!hasTurns(data.steps.values())) {
          view = chosenView = 'events';
          replaceQuery(new URLSearchParams(suffix()));
        }
      }
      if (!root.contains(container)) replace(root, container);
      buildHead();
      renderAll();
      if (view === 'chat') data.loadAll();
      if (!first) return events.reload();
      if (selectedSpanId !== null) focusPanel();
      else title.focus();
    },
    onWaiting() {
      replace(root, ...waitingPage(sessionId));
      void events.showLogsOnly(root, () => !destroyed && data.waiting);
    },
    onError(error) {
      replace(root, h('p', {}, h('a', { href: '/sessions' }, '← Sessions')), errorBox(error, 'Could not load this session'));
    },
    onStepError(message) {
      stepError = message;
      queueRender();
    },
    onLiveStatus: (s) => app.setLiveStatus(s),
    onLog(log) {
      if (data.waiting) void events.showLogsOnly(root, () => !destroyed && data.waiting);
      events.addLive(log);
      if (stepLogs.addLive(log) && log.spanId === selectedSpanId) queueRender();
    },
  });

  const removeKeys = enableWaterfallKeys(waterfall, {
    selected: () => selectedSpanId,
    select(spanId) {
      keepRowFocus = true;
      navigate(stepHref(spanId), { replace: true });
    },
  });
  /** Esc closes the step from anywhere but a form field. @param {Event} event */
  const onEscape = (event) => {
    const target = /** @type {Element | null} */ (event.target);
    if (/** @type {any} */ (event).key !== 'Escape' || selectedSpanId === null || target?.closest('input, textarea, select, dialog')) return;
    navigate(closeHref());
  };
  document.addEventListener('keydown', onEscape);
  const ticker = window.setInterval(() => {
    if (data.session?.status === 'running' || [...data.steps.values()].some((s) => s.open && !s.interrupted)) queueRender();
  }, TICK_MILLIS);

  /** The view's own query (tab, filters), kept on every link within the session. */
  const suffix = (/** @type {{ view?: string }} */ change = {}) => sessionSuffix({ view: change.view ?? view, firstView, filterText, eventName: eventFilters.eventName, minSeverity: eventFilters.minSeverity });
  const stepHref = (/** @type {string} */ spanId, change = {}) => `${sessionPath(sessionId)}/steps/${encodeURIComponent(spanId)}${suffix(change)}`;
  const closeHref = () => `${sessionPath(sessionId)}${suffix()}`;

  /** @param {string} name */
  function setView(name) {
    chosenView = name;
    view = viewOf(name, firstView);
    replaceQuery(new URLSearchParams(suffix()));
    if (view === 'chat') data.loadAll();
    renderAll();
  }

  /** @param {string} text */
  function setFilter(text) {
    filterText = text.trim() ? text : '';
    replaceQuery(new URLSearchParams(suffix()));
    renderSteps();
  }

  /** @param {string} traceId */
  async function lookUpTrace(traceId) {
    const step = turnStart(data.steps, traceId);
    if (!step) return otherTrace(traceId);
    if (view !== 'steps') setView('steps');
    if (filterText) {
      filterText = '';
      /** @type {HTMLInputElement} */ (tools.querySelector('#step-filter')).value = '';
    }
    navigate(stepHref(step.spanId));
    waterfall.querySelector(`[data-trace-id="${CSS.escape(traceId)}"]`)?.scrollIntoView({ block: 'start' });
    return null;
  }

  function queueRender() {
    if (renderQueued || destroyed || data.loading) return;
    renderQueued = true;
    requestAnimationFrame(() => {
      renderQueued = false;
      if (!destroyed) renderAll();
    });
  }

  function buildHead() {
    if (head.childElementCount > 0 || data.session === null) return;
    replace(
      head,
      h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, h('a', { href: '/sessions' }, 'Sessions'), ' / '),
      h('div', { class: 'title-row' }, title, status, sessionActions(sessionId, () => data.session)),
      h('div', { class: 'head-row' }, idLine, comparePicker(sessionId, data.session.agentName ?? null)),
    );
  }

  function renderAll() {
    const session = data.session;
    if (session === null || data.loading) return;
    // Stores older than the title field send only the agent name.
    title.textContent = session.title ?? session.agentName ?? 'Session';
    document.title = `${title.textContent} · Skein`;
    replace(status, statusBadge(session.status));
    replace(idLine, sessionId, session.userId ? h('span', {}, ` · user ${session.userId}`) : null);
    replace(summary, renderSessionSummary(session, data.steps, { open: totalsOpen, onToggle: (open) => (totalsOpen = open) }));
    firstView = hasTurns(data.steps.values()) ? 'turns' : 'steps';
    view = viewOf(chosenView === 'turns' && firstView !== 'turns' ? null : chosenView, firstView);
    tabs.show(view, firstView === 'turns' ? { turns: turns.element, steps: body, chat, events: events.element } : { steps: body, chat, events: events.element });
    if (view === 'chat') renderChatTab();
    if (view === 'turns') {
      turns.load(data.steps.values());
      turns.render({ steps: data.steps.values(), spans: data.spans, nowNs: nowNs(), hrefFor: (s) => stepHref(s.spanId, { view: 'steps' }) });
    }
    if (view === 'events') events.show();
    events.refresh();
    renderSteps();
    renderPanel();
  }

  function nowNs() {
    const session = /** @type {Record<string, any>} */ (data.session);
    const running = [...data.steps.values()].some((s) => s.open && !s.interrupted);
    return running ? String(BigInt(Date.now()) * 1_000_000n) : (session.lastEndUnixNano ?? session.firstStartUnixNano);
  }

  function renderChatTab() {
    const open = new Set([...chat.querySelectorAll('details[open]')].map((d) => /** @type {HTMLElement} */ (d).dataset.spanId));
    replace(chat, renderChat({ steps: data.steps.values(), spans: data.spans, nowNs: nowNs(), hrefFor: (s) => stepHref(s.spanId, { view: 'steps' }) }));
    for (const d of chat.querySelectorAll('details')) if (open.has(/** @type {HTMLElement} */ (d).dataset.spanId)) d.setAttribute('open', '');
  }

  function renderSteps() {
    if (data.session === null || data.loading) return;
    const withPreviews = [...data.steps.values()].map((s) => {
      const reasoning = data.spans.get(s.spanId)?.reasoning?.text;
      return reasoning ? { ...s, reasoningPreview: clipText(reasoning, PREVIEW_LENGTH) } : s;
    });
    const focusedSpan = /** @type {HTMLElement | null} */ (document.activeElement?.closest?.('.wf-row') ?? null)?.dataset.spanId;
    const shown = renderWaterfall(waterfall, {
      steps: withPreviews,
      nowNs: nowNs(),
      selectedSpanId,
      hrefFor: (s) => stepHref(s.spanId),
      collapsed,
      filterText,
      onToggle(spanId) {
        if (!collapsed.delete(spanId)) collapsed.add(spanId);
        renderSteps();
        /** @type {HTMLElement | null} */ (waterfall.querySelector(`[data-span-id="${CSS.escape(spanId)}"] .wf-toggle`))?.focus();
      },
      onDownloadTrace: (traceId) => void downloadTrace(sessionId, traceId),
    });
    count.textContent = shown.matches === null ? `(${shown.total})` : `(${shown.matches} of ${shown.total} match)`;
    if (focusedSpan) /** @type {HTMLElement | null} */ (waterfall.querySelector(`[data-span-id="${CSS.escape(focusedSpan)}"] .wf-link`))?.focus();
    if (data.steps.size === 0) waterfall.append(h('p', { class: 'muted' }, 'No steps yet.'));
  }

  function renderPanel() {
    body.classList.toggle('has-step', selectedSpanId !== null);
    container.classList.toggle('has-step', selectedSpanId !== null);
    if (selectedSpanId === null || data.session === null) {
      replace(panel);
      return;
    }
    const step = data.steps.get(selectedSpanId);
    if (!step) {
      replace(panel, h('div', { class: 'step' }, h('a', { class: 'btn btn-small', href: closeHref() }, '← Session'), h('p', { class: 'error-box' }, 'This step is not in the session.')));
      return;
    }
    const hadFocus = panel.contains(document.activeElement);
    const content = renderStep({
      step,
      span: data.spans.get(selectedSpanId) ?? null,
      sessionStartNs: data.session.firstStartUnixNano,
      closeHref: closeHref(),
      error: stepError,
      logs: stepLogs.of(selectedSpanId, data.spans.get(selectedSpanId) ?? null),
    });
    // A live session re-renders the step every second: what the reader opened or closed stays so.
    keepDetailsState(panel, () => replace(panel, content));
    if (hadFocus) focusPanel();
  }

  function focusPanel() {
    const wide = window.innerWidth > 900;
    /** @type {HTMLElement | null} */ (panel.querySelector('h2'))?.focus({ preventScroll: wide });
    // On a phone the step takes the waterfall's place: show it from its top.
    if (!wide) panel.scrollIntoView({ block: 'start' });
  }

  return {
    /** @param {import('./router.js').Route} next */
    update(next) {
      if ((next.name !== 'session' && next.name !== 'step') || next.params[0] !== sessionId) return false;
      const nextSelected = next.name === 'step' ? next.params[1] : null;
      chosenView = next.query.get('view');
      const nextView = viewOf(chosenView, firstView);
      if (nextView !== view) {
        view = nextView;
        if (view === 'chat') data.loadAll();
        renderAll();
      }
      if (nextSelected !== selectedSpanId) {
        const previous = selectedSpanId;
        selectedSpanId = nextSelected;
        stepError = null;
        const byKey = keepRowFocus;
        keepRowFocus = false;
        if (!data.loading && data.session !== null) {
          renderSteps();
          renderPanel();
          if (selectedSpanId !== null) {
            void data.loadSelected();
            if (!byKey) focusPanel();
          } else if (previous !== null) {
            /** @type {HTMLElement | null} */ (waterfall.querySelector(`[data-span-id="${CSS.escape(previous)}"] .wf-link`))?.focus();
          }
        }
      }
      return true;
    },
    destroy() {
      destroyed = true;
      data.destroy();
      events.destroy();
      stepLogs.destroy();
      removeKeys();
      document.removeEventListener('keydown', onEscape);
      clearInterval(ticker);
    },
  };
}
