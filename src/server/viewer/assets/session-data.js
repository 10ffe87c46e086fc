// A session's data as the page sees it: the detail, its steps and the full
// spans loaded so far. Live: subscribe to the session's stream first, then load
// history, then merge streamed steps by span id (the stream wins, but an ended
// step is never reopened by an older "started"). A session that does not
// exist yet is waited for on the same stream. Log records on the stream go to
// `onLog` as they come (the views merge them by id).

import { ApiError, apiGet, sessionPath } from './api.js';
import { announce } from './dom.js';
import { openLiveStream } from './live.js';

const PREFETCH_MAX_SPANS = 400;
const LIVE_READY_WAIT_MILLIS = 3000;
const POLL_MILLIS = 3000;

/**
 * @param {string} sessionId
 * @param {{
 *   selected: () => string | null,
 *   onChange: () => void,
 *   onLoaded: (first: boolean) => void,
 *   onWaiting: () => void,
 *   onError: (error: unknown) => void,
 *   onStepError: (message: string) => void,
 *   onLiveStatus: (status: string) => void,
 *   onLog?: (log: import('./log-events.js').LogRecord) => void,
 * }} hooks
 */
export function createSessionData(sessionId, hooks) {
  const data = {
    /** @type {Record<string, any> | null} */
    session: null,
    /** @type {Map<string, Record<string, any>>} */
    steps: new Map(),
    /** @type {Map<string, Record<string, any>>} full spans by span id */
    spans: new Map(),
    /** Whether the session is not in the store yet and the page waits for it. */
    waiting: false,
    loadTrace,
    loadSelected,
    loadAll,
    destroy,
  };
  /** @type {Map<string, Promise<void>>} */
  const traceLoads = new Map();
  /** @type {Set<string>} traces whose spans changed since they were fetched */
  const staleTraces = new Set();
  /** @type {{ type: string, data: any }[] | null} events held while history loads */
  let held = [];
  let destroyed = false;
  let booting = false;
  let loadedOnce = false;
  let liveStatus = 'connecting';
  let sessionRefreshTimer = 0;
  let pollTimer = 0;

  const live = openLiveStream({
    session: sessionId,
    onEvent: (event) => {
      // Waiting, log records go straight to the page (a session may send only logs); they create no session.
      if (data.waiting && event.type === 'log') return applyEvent(event);
      if (held !== null) held.push(event);
      else applyEvent(event);
      if (data.waiting) void bootstrap();
    },
    onStatus: (s) => {
      liveStatus = s;
      hooks.onLiveStatus(s);
      if (s === 'unavailable' && !pollTimer) pollTimer = window.setInterval(() => void poll(), POLL_MILLIS);
    },
  });
  void bootstrap();

  async function bootstrap() {
    if (booting || destroyed) return;
    booting = true;
    held ??= [];
    try {
      // Subscribed before reading history, so nothing that happens in between is missed.
      await Promise.race([live.ready, new Promise((resolve) => setTimeout(resolve, LIVE_READY_WAIT_MILLIS))]);
      const [detail, timeline] = await Promise.all([apiGet(sessionPath(sessionId)), apiGet(`${sessionPath(sessionId)}/timeline`)]);
      if (destroyed) return;
      data.waiting = false;
      data.session = detail;
      data.steps = new Map(timeline.steps.map((/** @type {any} */ s) => [s.spanId, s]));
      for (const event of held ?? []) applyEvent(event, { quiet: true });
      held = null;
      hooks.onLoaded(!loadedOnce);
      loadedOnce = true;
      if (detail.spanCount <= PREFETCH_MAX_SPANS) for (const traceId of detail.traceIds) void loadTrace(traceId);
      else void loadSelected();
    } catch (error) {
      if (destroyed) return;
      if (error instanceof ApiError && error.status === 404 && !loadedOnce) {
        // Not there yet: the live stream (or the poll, without one) says when it is.
        // Events that came while the read was on their way may be the session's first: read again.
        const missed = (held ?? []).some((event) => event.type !== 'log');
        data.waiting = true;
        held = [];
        hooks.onWaiting();
        if (liveStatus !== 'live' && !pollTimer) pollTimer = window.setInterval(() => void poll(), POLL_MILLIS);
        if (missed) setTimeout(() => void bootstrap(), 0);
        return;
      }
      held = null;
      hooks.onError(error);
    } finally {
      booting = false;
    }
  }

  /** Without a live stream: re-read the session while it runs, or until it exists. */
  async function poll() {
    if (destroyed) return;
    if (data.waiting) return void bootstrap();
    if (held !== null || data.session?.status !== 'running') return;
    try {
      const [detail, timeline] = await Promise.all([apiGet(sessionPath(sessionId)), apiGet(`${sessionPath(sessionId)}/timeline`)]);
      if (destroyed) return;
      data.session = detail;
      for (const s of timeline.steps) mergeStep(s);
      for (const s of timeline.steps) staleTraces.add(s.traceId);
      hooks.onChange();
      refreshSpans();
    } catch {
      // The next poll tries again.
    }
  }

  /** @param {{ type: string, data: any }} event @param {{ quiet?: boolean }} [options] */
  function applyEvent(event, options = {}) {
    const body = event.data ?? {};
    if (body.sessionId !== undefined && body.sessionId !== sessionId) return;
    switch (event.type) {
      case 'span.started':
      case 'span.ended': {
        const step = body.step;
        if (!step || typeof step.spanId !== 'string') return;
        const isNew = !data.steps.has(step.spanId);
        mergeStep(step);
        if (event.type === 'span.ended') staleTraces.add(step.traceId);
        if (isNew && !options.quiet) announce(`New step: ${step.name}`);
        break;
      }
      case 'session.updated':
        if (body.session && data.session) data.session = { ...data.session, ...body.session };
        scheduleSessionRefresh();
        break;
      case 'session.interrupted':
        for (const ref of Array.isArray(body.steps) ? body.steps : []) {
          const step = data.steps.get(ref.spanId);
          if (step) data.steps.set(ref.spanId, { ...step, interrupted: true, open: false });
        }
        scheduleSessionRefresh();
        break;
      case 'budget':
        scheduleSessionRefresh();
        break;
      case 'log':
        if (body.log && typeof body.log === 'object') hooks.onLog?.(body.log);
        return;
      case 'reset':
        // The server could not replay what this page missed: start over.
        if (held === null) void bootstrap();
        return;
      default:
        return;
    }
    if (!options.quiet) {
      hooks.onChange();
      refreshSpans();
    }
  }

  /** @param {Record<string, any>} incoming */
  function mergeStep(incoming) {
    const old = data.steps.get(incoming.spanId);
    if (old && old.endTimeUnixNano !== null && incoming.endTimeUnixNano === null) {
      data.steps.set(incoming.spanId, { ...incoming, ...old });
      return;
    }
    data.steps.set(incoming.spanId, { ...old, ...incoming });
  }

  /** Throttled, not debounced: steady traffic must not postpone it forever. */
  function scheduleSessionRefresh() {
    if (sessionRefreshTimer) return;
    sessionRefreshTimer = window.setTimeout(async () => {
      sessionRefreshTimer = 0;
      try {
        const detail = await apiGet(sessionPath(sessionId));
        if (destroyed) return;
        data.session = detail;
        hooks.onChange();
      } catch {
        // Keep what is shown; the next update tries again.
      }
    }, 250);
  }

  /** Re-reads changed traces that matter on screen: the selected step's, and reasoning text. */
  function refreshSpans() {
    const selected = hooks.selected();
    for (const traceId of staleTraces) {
      const isSelected = selected !== null && data.steps.get(selected)?.traceId === traceId;
      const hasReasoning = [...data.steps.values()].some((s) => s.traceId === traceId && s.stepType === 'reasoning' && !data.spans.get(s.spanId)?.reasoning);
      if (isSelected || hasReasoning || (data.session?.spanCount ?? 0) <= PREFETCH_MAX_SPANS) {
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
      for (const span of trace.spans) if (span.sessionId === sessionId) data.spans.set(span.spanId, span);
      hooks.onChange();
    })();
    traceLoads.set(traceId, load);
    load.catch((error) => {
      if (traceLoads.get(traceId) === load) traceLoads.delete(traceId);
      const selected = hooks.selected();
      if (selected !== null && data.steps.get(selected)?.traceId === traceId) {
        hooks.onStepError(`Could not load the step: ${error instanceof Error ? error.message : String(error)}`);
      }
    });
    return load;
  }

  async function loadSelected() {
    const selected = hooks.selected();
    const step = selected === null ? undefined : data.steps.get(selected);
    if (step) await loadTrace(step.traceId).catch(() => {});
  }

  /** Every trace of the session (the chat replay needs every message). */
  function loadAll() {
    for (const traceId of new Set([...data.steps.values()].map((s) => s.traceId))) void loadTrace(traceId).catch(() => {});
  }

  function destroy() {
    destroyed = true;
    live.close();
    clearInterval(pollTimer);
    clearTimeout(sessionRefreshTimer);
  }

  /** Whether renders should wait (history still loading). */
  Object.defineProperty(data, 'loading', { get: () => held !== null });
  return data;
}
