// The live stream (`GET /api/live`, Server-Sent Events) read with fetch()
// rather than EventSource: EventSource cannot send the Authorization header.
// Reconnects with Last-Event-ID, so the server can replay what was missed (or
// send `reset` when it cannot).

import { authHeaders } from './api.js';

const RETRY_MIN_MILLIS = 1000;
const RETRY_MAX_MILLIS = 15000;

/**
 * @typedef {{ type: string, id: string | null, data: unknown }} LiveEvent
 * @typedef {'connecting' | 'live' | 'reconnecting' | 'paused' | 'unavailable' | 'closed'} LiveStatus
 * @typedef {{
 *   session?: string,
 *   onEvent: (event: LiveEvent) => void,
 *   onStatus?: (status: LiveStatus, detail?: string) => void,
 * }} LiveOptions
 */

/**
 * Subscribes. `ready` resolves once the server has accepted the subscription
 * (true) or for good refused it (false, e.g. a server without a live stream),
 * so a view can subscribe first and then load history without a gap.
 * @param {LiveOptions} options
 * @returns {{ ready: Promise<boolean>, close(): void }}
 */
export function openLiveStream(options) {
  let connection = /** @type {AbortController | null} */ (null);
  let lastEventId = /** @type {string | null} */ (null);
  let retryMillis = RETRY_MIN_MILLIS;
  let closed = false;
  // A hidden tab lets its connection go (browsers allow ~6 per server over
  // HTTP/1.1, and every open viewer tab would hold one) and resumes from
  // Last-Event-ID when shown again.
  let paused = document.hidden;
  /** @type {() => void} */
  let wake = () => {};
  /** @type {(ok: boolean) => void} */
  let settle = () => {};
  const ready = new Promise((resolve) => {
    settle = (ok) => {
      resolve(ok);
      settle = () => {};
    };
  });
  const status = (/** @type {LiveStatus} */ s, /** @type {string} */ detail = '') => options.onStatus?.(s, detail);

  const url = new URL('/api/live', location.origin);
  if (options.session !== undefined) url.searchParams.set('session', options.session);

  async function connectOnce() {
    status(lastEventId === null ? 'connecting' : 'reconnecting');
    /** @type {Record<string, string>} */
    const headers = { Accept: 'text/event-stream', ...authHeaders() };
    if (lastEventId !== null) headers['Last-Event-ID'] = lastEventId;
    connection = new AbortController();
    const response = await fetch(url, { headers, signal: connection.signal, cache: 'no-store' });
    if (!response.ok || response.body === null) {
      // 404/405/501: this server has no live stream; 401: no token yet. Retrying would not help.
      if ([401, 403, 404, 405, 501].includes(response.status)) return { permanent: `HTTP ${response.status}` };
      throw new Error(`HTTP ${response.status}`);
    }
    retryMillis = RETRY_MIN_MILLIS;
    status('live');
    settle(true);
    await readEvents(response.body, (event) => {
      if (event.id !== null) lastEventId = event.id;
      if (event.retry !== null) retryMillis = event.retry;
      if (event.type !== null) options.onEvent({ type: event.type, id: event.id, data: event.data });
    });
    return { permanent: null };
  }

  /** Waits `millis`, or until woken (closed, or the tab shown again). @param {number} millis */
  const pause = (millis) =>
    new Promise((resolve) => {
      const timer = millis === Infinity ? 0 : setTimeout(resolve, millis);
      wake = () => {
        clearTimeout(timer);
        resolve(undefined);
      };
    });

  async function run() {
    while (!closed) {
      if (paused) {
        status('paused');
        await pause(Infinity);
        continue;
      }
      try {
        const { permanent } = await connectOnce();
        if (permanent !== null) {
          status('unavailable', permanent);
          settle(false);
          return;
        }
      } catch (error) {
        if (closed) return;
        if (!paused) status('reconnecting', error instanceof Error ? error.message : String(error));
      }
      if (closed || paused) continue;
      // Unblocks a view waiting to load history: better a page without live updates than none.
      settle(false);
      await pause(retryMillis);
      retryMillis = Math.min(retryMillis * 2, RETRY_MAX_MILLIS);
    }
  }

  function onVisibility() {
    if (document.hidden) {
      paused = true;
      connection?.abort();
    } else if (paused) {
      paused = false;
      wake();
    }
  }
  document.addEventListener('visibilitychange', onVisibility);
  run().catch(() => settle(false));

  return {
    ready,
    close() {
      closed = true;
      document.removeEventListener('visibilitychange', onVisibility);
      connection?.abort();
      wake();
      settle(false);
      status('closed');
    },
  };
}

/**
 * Parses an SSE body (WHATWG HTML "event stream interpretation"): fields
 * `event`, `data` (joined by newlines), `id`, `retry`; a blank line dispatches;
 * comments (`:`) keep the connection alive. `data` is parsed as JSON when it is JSON.
 * @param {ReadableStream<Uint8Array>} body
 * @param {(event: { type: string | null, id: string | null, data: unknown, retry: number | null }) => void} dispatch
 */
export async function readEvents(body, dispatch) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let type = '';
  let data = /** @type {string[]} */ ([]);
  let id = /** @type {string | null} */ (null);
  let retry = /** @type {number | null} */ (null);
  let idSeen = false;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    // A trailing \r may be half of a \r\n split across chunks: keep it for the next one.
    const held = buffer.endsWith('\r') ? '\r' : '';
    const lines = (held ? buffer.slice(0, -1) : buffer).split(/\r\n|\r|\n/);
    buffer = (lines.pop() ?? '') + held;
    for (const line of lines) {
      if (line === '') {
        // A block without data still moves the position (a heartbeat's `id:`) or the retry delay.
        if (data.length > 0 || retry !== null || idSeen) {
          const text = data.join('\n');
          dispatch({ type: data.length > 0 ? type || 'message' : null, id, data: parseData(text), retry });
        }
        type = '';
        data = [];
        retry = null;
        idSeen = false;
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      let fieldValue = colon < 0 ? '' : line.slice(colon + 1);
      if (fieldValue.startsWith(' ')) fieldValue = fieldValue.slice(1);
      if (field === 'event') type = fieldValue;
      else if (field === 'data') data.push(fieldValue);
      else if (field === 'id' && !fieldValue.includes('\0')) {
        id = fieldValue;
        idSeen = true;
      }
      else if (field === 'retry' && /^\d+$/.test(fieldValue)) retry = Number(fieldValue);
    }
  }
}

/** @param {string} text */
function parseData(text) {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
