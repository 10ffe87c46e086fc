// A session: totals, per-model breakdown, the waterfall and the selected step.
// Live: subscribe to the session's stream first, then load history, then
// merge streamed steps by span id (the stream wins, but an ended step is never
// reopened by an older "started").

import { apiGet, authHeaders, errorOf, sessionPath } from './api.js';
import { announce, h, replace } from './dom.js';
import { openLiveStream } from './live.js';
import { navigate } from './router.js';
import { renderSessionSummary } from './session-summary.js';
import { renderStep } from './step-view.js';
import { enableWaterfallKeys, renderWaterfall } from './waterfall.js';
import { STEP_TYPES, errorBox, legend, statusBadge } from './widgets.js';

const PREFETCH_MAX_SPANS = 400;
const TICK_MILLIS = 1000;
const LIVE_READY_WAIT_MILLIS = 3000;
const POLL_MILLIS = 3000;
const PREVIEW_LENGTH = 160;

/**
 * @param {HTMLElement} root
 * @param {import('./router.js').Route} route
 * @param {{ setLiveStatus: (status: string) => void }} app
 */
export function createSessionView(root, route, app) {
  const sessionId = route.params[0];
  let selectedSpanId = route.name === 'step' ? route.params[1] : null;
  /** @type {Record<string, any> | null} */
  let session = null;
  /** @type {Map<string, Record<string, any>>} */
  let steps = new Map();
  /** @type {Map<string, Record<string, any>>} full spans by span id */
  const spans = new Map();
  /** @type {Map<string, Promise<void>>} */
  const traceLoads = new Map();
  /** @type {Set<string>} traces whose spans changed since they were fetched */
  const staleTraces = new Set();
  /** @type {{ type: string, data: any }[] | null} events held while history loads */
  let held = [];
  let destroyed = false;
  let renderQueued = false;
  let sessionRefreshTimer = 0;
  let pollTimer = 0;
  let stepError = /** @type {string | null} */ (null);

  const head = h('div', { class: 'session-head' });
  const summary = h('div', { class: 'session-summary' });
  const waterfall = h('div', { class: 'wf', id: 'waterfall' });
  const panel = h('aside', { class: 'step-panel', 'aria-label': 'Step details' });
  const wfSection = h(
    'section',
    { class: 'wf-section', 'aria-labelledby': 'wf-title' },
    h('div', { class: 'section-head' }, h('h2', { id: 'wf-title' }, 'Steps'), legend(STEP_TYPES.filter((t) => t !== 'other'))),
    waterfall,
  );
  const body = h('div', { class: 'session-body' }, wfSection, panel);
  const container = h('div', { class: 'session' }, head, summary, body);
  replace(root, h('p', { class: 'muted' }, 'Loading session…'));
  enableWaterfallKeys(waterfall);
  panel.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && selectedSpanId !== null) navigate(sessionPath(sessionId));
  });

  const live = openLiveStream({
    session: sessionId,
    onEvent: (event) => {
      if (held !== null) held.push(event);
      else applyEvent(event);
    },
    onStatus: (s) => {
      app.setLiveStatus(s);
      if (s === 'unavailable' && !pollTimer) pollTimer = window.setInterval(() => void poll(), POLL_MILLIS);
    },
  });
  const ticker = window.setInterval(() => {
    if (session?.status === 'running' || [...steps.values()].some((s) => s.open && !s.interrupted)) queueRender();
  }, TICK_MILLIS);
  void bootstrap();

  async function bootstrap() {
    held ??= [];
    // Subscribed before reading history, so nothing that happens in between is missed.
    await Promise.race([live.ready, new Promise((resolve) => setTimeout(resolve, LIVE_READY_WAIT_MILLIS))]);
    try {
      const [detail, timeline] = await Promise.all([apiGet(sessionPath(sessionId)), apiGet(`${sessionPath(sessionId)}/timeline`)]);
      if (destroyed) return;
      session = detail;
      steps = new Map(timeline.steps.map((/** @type {any} */ s) => [s.spanId, s]));
      for (const event of held ?? []) applyEvent(event, { quiet: true });
      held = null;
      if (!root.contains(container)) replace(root, container);
      renderAll();
      if (selectedSpanId !== null) focusPanel();
      else /** @type {HTMLElement | null} */ (head.querySelector('h1'))?.focus();
      if (detail.spanCount <= PREFETCH_MAX_SPANS) for (const traceId of detail.traceIds) void loadTrace(traceId);
      else if (selectedSpanId !== null) void loadSelected();
    } catch (error) {
      held = null;
      if (destroyed) return;
      replace(root, h('p', {}, h('a', { href: '/sessions' }, '← Sessions')), errorBox(error, 'Could not load this session'));
    }
  }

  /** Without a live stream: re-read the session while it runs. */
  async function poll() {
    if (held !== null || destroyed || session?.status !== 'running') return;
    try {
      const [detail, timeline] = await Promise.all([apiGet(sessionPath(sessionId)), apiGet(`${sessionPath(sessionId)}/timeline`)]);
      if (destroyed) return;
      session = detail;
      for (const s of timeline.steps) mergeStep(s);
      for (const s of timeline.steps) staleTraces.add(s.traceId);
      queueRender();
      refreshSpans();
    } catch {
      // The next poll tries again.
    }
  }

  /** @param {{ type: string, data: any }} event @param {{ quiet?: boolean }} [options] */
  function applyEvent(event, options = {}) {
    const data = event.data ?? {};
    if (data.sessionId !== undefined && data.sessionId !== sessionId) return;
    switch (event.type) {
      case 'span.started':
      case 'span.ended': {
        const step = data.step;
        if (!step || typeof step.spanId !== 'string') return;
        const isNew = !steps.has(step.spanId);
        mergeStep(step);
        if (event.type === 'span.ended') staleTraces.add(step.traceId);
        if (isNew && !options.quiet) announce(`New step: ${step.name}`);
        break;
      }
      case 'session.updated':
        if (data.session && session) session = { ...session, ...data.session };
        scheduleSessionRefresh();
        break;
      case 'session.interrupted':
        for (const ref of Array.isArray(data.steps) ? data.steps : []) {
          const step = steps.get(ref.spanId);
          if (step) steps.set(ref.spanId, { ...step, interrupted: true, open: false });
        }
        scheduleSessionRefresh();
        break;
      case 'budget':
        scheduleSessionRefresh();
        break;
      case 'reset':
        // The server could not replay what this page missed: start over.
        if (held === null) void bootstrap();
        return;
      default:
        return;
    }
    if (!options.quiet) {
      queueRender();
      refreshSpans();
    }
  }

  /** @param {Record<string, any>} incoming */
  function mergeStep(incoming) {
    const old = steps.get(incoming.spanId);
    if (old && old.endTimeUnixNano !== null && incoming.endTimeUnixNano === null) {
      steps.set(incoming.spanId, { ...incoming, ...old });
      return;
    }
    steps.set(incoming.spanId, { ...old, ...incoming });
  }

  /** Throttled, not debounced: steady traffic must not postpone it forever. */
  function scheduleSessionRefresh() {
    if (sessionRefreshTimer) return;
    sessionRefreshTimer = window.setTimeout(async () => {
      sessionRefreshTimer = 0;
      try {
        const detail = await apiGet(sessionPath(sessionId));
        if (destroyed) return;
        session = detail;
        queueRender();
      } catch {
        // Keep what is shown; the next update tries again.
      }
    }, 250);
  }

  /** Re-reads changed traces that matter on screen: the selected step's, and reasoning text. */
  function refreshSpans() {
    for (const traceId of staleTraces) {
      const selected = selectedSpanId !== null && steps.get(selectedSpanId)?.traceId === traceId;
      const hasReasoning = [...steps.values()].some((s) => s.traceId === traceId && s.stepType === 'reasoning' && !spans.get(s.spanId)?.reasoning);
      if (selected || hasReasoning || (session?.spanCount ?? 0) <= PREFETCH_MAX_SPANS) {
        staleTraces.delete(traceId);
        void loadTrace(traceId, { force: true });
      }
    }
  }

  /** @param {string} traceId @param {{ force?: boolean }} [options] */
  function loadTrace(traceId, options = {}) {
    const pending = traceLoads.get(traceId);
    if (pending && !options.force) return pending;
    const load = (async () => {
      await pending?.catch(() => {});
      const trace = await apiGet(`/traces/${traceId}`);
      if (destroyed) return;
      for (const span of trace.spans) if (span.sessionId === sessionId) spans.set(span.spanId, span);
      queueRender();
    })();
    traceLoads.set(traceId, load);
    load.catch((error) => {
      if (traceLoads.get(traceId) === load) traceLoads.delete(traceId);
      if (selectedSpanId !== null && steps.get(selectedSpanId)?.traceId === traceId) {
        stepError = `Could not load the step: ${error instanceof Error ? error.message : String(error)}`;
        queueRender();
      }
    });
    return load;
  }

  async function loadSelected() {
    const step = selectedSpanId === null ? undefined : steps.get(selectedSpanId);
    if (step) await loadTrace(step.traceId).catch(() => {});
  }

  function queueRender() {
    if (renderQueued || destroyed || held !== null) return;
    renderQueued = true;
    requestAnimationFrame(() => {
      renderQueued = false;
      if (!destroyed) renderAll();
    });
  }

  function renderAll() {
    if (session === null) return;
    renderHead();
    replace(summary, renderSessionSummary(session, steps));
    renderSteps();
    renderPanel();
  }

  function renderHead() {
    if (session === null) return;
    replace(
      head,
      h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, h('a', { href: '/sessions' }, 'Sessions'), ' / '),
      h(
        'div',
        { class: 'title-row' },
        h('h1', { tabindex: '-1' }, session.agentName ?? 'Session'),
        statusBadge(session.status),
        h('button', { type: 'button', class: 'btn btn-small', onclick: () => void exportMarkdown() }, 'Export Markdown'),
      ),
      h('p', { class: 'mono muted session-id' }, sessionId, session.userId ? h('span', {}, ` · user ${session.userId}`) : null),
    );
  }

  /** A fetch rather than a link, so the bearer token goes along. */
  async function exportMarkdown() {
    try {
      const response = await fetch(`/api${sessionPath(sessionId)}/export?format=md`, { headers: authHeaders() });
      if (!response.ok) throw await errorOf(response);
      const url = URL.createObjectURL(await response.blob());
      const name = /filename="([^"]+)"/.exec(response.headers.get('content-disposition') ?? '')?.[1] ?? `${sessionId}.md`;
      const link = h('a', { href: url, download: name, hidden: true });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (error) {
      announce(`Export failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  function renderSteps() {
    if (session === null) return;
    const running = [...steps.values()].some((s) => s.open && !s.interrupted);
    const nowNs = running ? String(BigInt(Date.now()) * 1_000_000n) : session.lastEndUnixNano ?? session.firstStartUnixNano;
    const withPreviews = [...steps.values()].map((s) => {
      const reasoning = spans.get(s.spanId)?.reasoning?.text;
      return reasoning ? { ...s, reasoningPreview: clip(reasoning) } : s;
    });
    let startNs = session.firstStartUnixNano;
    for (const s of steps.values()) if (BigInt(s.startTimeUnixNano) < BigInt(startNs)) startNs = s.startTimeUnixNano;
    const focusedSpan = /** @type {HTMLElement | null} */ (document.activeElement?.closest?.('.wf-row') ?? null)?.dataset.spanId;
    renderWaterfall(waterfall, {
      steps: withPreviews,
      startNs,
      nowNs,
      selectedSpanId,
      hrefFor: (s) => `${sessionPath(sessionId)}/steps/${encodeURIComponent(s.spanId)}`,
    });
    if (focusedSpan) /** @type {HTMLElement | null} */ (waterfall.querySelector(`[data-span-id="${CSS.escape(focusedSpan)}"] .wf-link`))?.focus();
    if (steps.size === 0) waterfall.append(h('p', { class: 'muted' }, 'No steps yet.'));
  }

  function renderPanel() {
    body.classList.toggle('has-step', selectedSpanId !== null);
    container.classList.toggle('has-step', selectedSpanId !== null);
    if (selectedSpanId === null || session === null) {
      replace(panel);
      return;
    }
    const step = steps.get(selectedSpanId);
    if (!step) {
      replace(panel, h('div', { class: 'step' }, h('a', { class: 'btn btn-small', href: sessionPath(sessionId) }, '← Session'), h('p', { class: 'error-box' }, 'This step is not in the session.')));
      return;
    }
    const hadFocus = panel.contains(document.activeElement);
    replace(
      panel,
      renderStep({ step, span: spans.get(selectedSpanId) ?? null, sessionStartNs: session.firstStartUnixNano, closeHref: sessionPath(sessionId), error: stepError }),
    );
    if (hadFocus) focusPanel();
  }

  function focusPanel() {
    /** @type {HTMLElement | null} */ (panel.querySelector('h2'))?.focus({ preventScroll: window.innerWidth > 900 });
  }

  return {
    /** @param {import('./router.js').Route} next */
    update(next) {
      if ((next.name !== 'session' && next.name !== 'step') || next.params[0] !== sessionId) return false;
      const nextSelected = next.name === 'step' ? next.params[1] : null;
      if (nextSelected !== selectedSpanId) {
        const previous = selectedSpanId;
        selectedSpanId = nextSelected;
        stepError = null;
        if (held === null) {
          renderSteps();
          renderPanel();
          if (selectedSpanId !== null) {
            void loadSelected();
            focusPanel();
          } else if (previous !== null) {
            /** @type {HTMLElement | null} */ (waterfall.querySelector(`[data-span-id="${CSS.escape(previous)}"] .wf-link`))?.focus();
          }
        }
      }
      return true;
    },
    destroy() {
      destroyed = true;
      live.close();
      clearInterval(ticker);
      clearInterval(pollTimer);
      clearTimeout(sessionRefreshTimer);
    },
  };
}

/** @param {string} text */
function clip(text) {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > PREVIEW_LENGTH ? `${flat.slice(0, PREVIEW_LENGTH - 1)}…` : flat;
}

