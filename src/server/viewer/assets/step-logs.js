// The log events tied to each step (same trace and span id). The trace's
// spans come with their first records (`logs`, at most 100 a step, and
// `logsTruncated` past that); records streamed since, and the rest of a long
// list paged from `GET /api/logs`, are added here and merged by id.

import { apiGet } from './api.js';

const PAGE_SIZE = 1000;

/** @typedef {import('./log-events.js').LogRecord} LogRecord */

/** @param {{ onChange: () => void }} hooks */
export function createStepLogs(hooks) {
  /** @type {Map<string, Map<number, LogRecord>>} records by span id, besides the span's own */
  const added = new Map();
  /** @type {Map<string, { loading: boolean, error: string | null, done: boolean }>} paging of long lists, by span id */
  const paging = new Map();
  let destroyed = false;

  /** @param {string} spanId @param {LogRecord} log */
  function add(spanId, log) {
    let records = added.get(spanId);
    if (!records) added.set(spanId, (records = new Map()));
    const isNew = !records.has(log.id);
    records.set(log.id, log);
    return isNew;
  }

  /** Every record of the step's trace and span, page by page. @param {string} traceId @param {string} spanId */
  async function loadAll(traceId, spanId) {
    const state = { loading: true, error: /** @type {string | null} */ (null), done: false };
    paging.set(spanId, state);
    hooks.onChange();
    try {
      let cursor = /** @type {string | null} */ (null);
      do {
        const page = await apiGet('/logs', { traceId, spanId, limit: PAGE_SIZE, cursor });
        if (destroyed) return;
        for (const log of page.items) add(spanId, log);
        cursor = page.nextCursor ?? null;
      } while (cursor !== null);
      state.done = true;
    } catch (error) {
      state.error = `Could not load the step's log events: ${error instanceof Error ? error.message : String(error)}`;
    } finally {
      state.loading = false;
      if (!destroyed) hooks.onChange();
    }
  }

  return {
    /**
     * What the step panel shows: null when the server has no log records for
     * spans (an older one) and none arrived live; items null while the span loads.
     * @param {string} spanId @param {Record<string, any> | null} span the full span, null while loading
     * @returns {{ items: LogRecord[] | null, error: string | null, more: (() => void) | null, loadingMore: boolean } | null}
     */
    of(spanId, span) {
      const extra = added.get(spanId);
      const own = span && Array.isArray(span.logs) ? /** @type {LogRecord[]} */ (span.logs) : null;
      if (span !== null && own === null && !extra) return null;
      const state = paging.get(spanId);
      /** @type {Map<number, LogRecord>} */
      const byId = new Map();
      for (const log of own ?? []) byId.set(log.id, log);
      for (const [id, log] of extra ?? []) byId.set(id, log);
      const truncated = Boolean(span?.logsTruncated) && !state?.done;
      return {
        items: span === null && !extra ? null : [...byId.values()],
        error: state?.error ?? null,
        more: truncated && span && !state?.loading ? () => void loadAll(span.traceId, spanId) : null,
        loadingMore: state?.loading ?? false,
      };
    },
    /** A `log` event of the live stream. Returns whether it was new. @param {LogRecord} log */
    addLive(log) {
      return typeof log.spanId === 'string' && add(log.spanId, log);
    },
    destroy() {
      destroyed = true;
    },
  };
}
