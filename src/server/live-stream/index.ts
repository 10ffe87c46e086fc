/**
 * The live stream: `GET /live` (mounted under `/api`) as Server-Sent Events.
 *
 * Each event is one row of the store's change feed: `id` is its seq, `event`
 * its kind, `data` the `ChangeEvent` as JSON. A client that reconnects with
 * `Last-Event-ID` (or `?lastEventId=`) gets every event after that id, from
 * the durable feed, with no gap and no duplicate; an id the feed no longer
 * keeps gets a `reset` event instead (re-fetch, then carry on). Heartbeats are
 * comment lines carrying the position reached as an `id`, so a filtered
 * stream's resume point stays inside the window even when nothing matched.
 */

import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { streamSSE } from 'hono/streaming';
import type { SSEStreamingApi } from 'hono/streaming';
import type { MetricsRegistry } from '../metrics.js';
import { ChangeHub } from './change-hub.js';
import type { AnyChangeFeedReader } from './feed-source.js';

export interface LiveStreamOptions {
  /** SQLite's synchronous feed, or PostgreSQL's (woken by its own LISTEN/NOTIFY and poll). */
  store: AnyChangeFeedReader;
  /**
   * How often a SQLite database is checked for commits by other processes; for either store,
   * the delay before a failed read of the feed is tried again. Default 150.
   */
  pollIntervalMillis?: number;
  /** A heartbeat after this long without an event. Default 15000. */
  heartbeatMillis?: number;
  /** The reconnection delay suggested to EventSource clients (`retry:`). Default 1000. */
  retryMillis?: number;
  /** When aborted (server shutdown), every stream ends and new ones are refused with 503. */
  signal?: AbortSignal;
  /** Registers `skein_live_clients` (connected streams). */
  metrics?: MetricsRegistry;
  /** Store read errors met by the hub or a stream. Default console.error. */
  onError?: (error: unknown) => void;
}

/** Events sent per store read; a client further behind catches up page by page. */
const PAGE = 500;

/** What `reset` carries: the stream goes on from `latestSeq`; re-fetch the state it no longer explains. */
export interface ResetEventData {
  reason: 'expired' | 'unknown-id';
  latestSeq: number;
}

function parseLastEventId(raw: string | undefined): number | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  const value = raw.trim();
  if (!/^\d{1,15}$/.test(value)) {
    throw new HTTPException(400, { message: `Last-Event-ID must be a non-negative integer, got '${value.slice(0, 40)}'` });
  }
  return Number(value);
}

export function createLiveStream(options: LiveStreamOptions): Hono {
  const { store, heartbeatMillis = 15_000, retryMillis = 1_000, signal } = options;
  const onError = options.onError ?? ((error: unknown) => console.error('skein live stream:', error));
  const hub = new ChangeHub({ store, pollIntervalMillis: options.pollIntervalMillis, onError });
  options.metrics?.gauge('skein_live_clients', 'Connected live-stream clients.', () => [{ value: hub.listenerCount }]);

  const app = new Hono();
  app.get('/live', (c) => {
    const sessionParam = c.req.query('session');
    if (sessionParam !== undefined && sessionParam === '') throw new HTTPException(400, { message: 'session must not be empty' });
    // The header wins: EventSource sends it on reconnect while the URL still holds the first id.
    const lastEventId = parseLastEventId(c.req.header('Last-Event-ID') ?? c.req.query('lastEventId'));
    if (signal?.aborted) return c.json({ error: { code: 'unavailable', message: 'shutting down' } }, 503);
    c.header('X-Accel-Buffering', 'no');
    const requestSignal = c.req.raw.signal;

    const response = streamSSE(c, async function liveStream(stream) {
      let pending = false;
      let wake: (() => void) | null = null;
      const notify = () => {
        pending = true;
        wake?.();
      };
      let unsubscribe: (() => void) | null = null;
      stream.onAbort(notify);
      signal?.addEventListener('abort', notify);
      requestSignal.addEventListener('abort', notify);
      const ended = () => stream.aborted || stream.closed || signal?.aborted === true || requestSignal.aborted;
      try {
        unsubscribe = hub.subscribe(notify);
        // Fixed before the first byte: a client that has seen the response start misses nothing after it.
        let position = lastEventId ?? (await hub.latestSeq());
        await stream.write(`retry: ${retryMillis}\n\n`);
        while (!ended()) {
          pending = false;
          // One read at a time per stream, awaited: what it returns is written before the next one starts.
          const read = await hub.read(position, sessionParam, PAGE);
          if (read.expired) {
            const data: ResetEventData = {
              reason: position > read.position ? 'unknown-id' : 'expired',
              latestSeq: read.position,
            };
            await stream.writeSSE({ event: 'reset', id: String(read.position), data: JSON.stringify(data) });
            position = read.position;
            continue;
          }
          for (const event of read.events) {
            if (ended()) return;
            await stream.writeSSE({ id: String(event.seq), event: event.kind, data: JSON.stringify(event) });
          }
          position = read.position;
          if (read.events.length === PAGE || pending) continue;
          const woken = await sleepUntilWoken(heartbeatMillis, (resolve) => (wake = resolve));
          wake = null;
          if (!woken && !ended()) await heartbeat(stream, position);
        }
      } catch (error) {
        // The store failed (closed, broken, unreachable): end the stream; the client reconnects and resumes.
        onError(error);
      } finally {
        unsubscribe?.();
        signal?.removeEventListener('abort', notify);
        requestSignal.removeEventListener('abort', notify);
      }
    });
    // A stream ends only when the server stops or the client leaves: the connection goes with it
    // rather than idling in keep-alive and holding a shutdown up.
    response.headers.set('Connection', 'close');
    return response;
  });
  return app;
}

function heartbeat(stream: SSEStreamingApi, position: number): Promise<unknown> {
  return stream.write(`: heartbeat\nid: ${position}\n\n`);
}

/** Resolves true when woken, false after `timeoutMillis`. */
function sleepUntilWoken(timeoutMillis: number, setWake: (wake: () => void) => void): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMillis);
    setWake(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}
