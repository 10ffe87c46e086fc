/** GET /live over real HTTP: ids, resume, filter, heartbeats, reset, cleanup. */

import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import type { ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLiveStream } from '../../../src/server/live-stream/index.js';
import type { LiveStreamOptions } from '../../../src/server/live-stream/index.js';
import { MetricsRegistry } from '../../../src/server/metrics.js';
import { SqliteTraceStore } from '../../../src/store/sqlite/index.js';
import type { SqliteTraceStoreOptions } from '../../../src/store/sqlite/index.js';
import { makeRecord, opened } from '../../helpers/records.js';
import { SseClient } from './sse-client.js';

interface Running {
  url: string;
  store: SqliteTraceStore;
  metrics: MetricsRegistry;
  abort: AbortController;
}

describe('GET /api/live', () => {
  let dir: string;
  const servers: ServerType[] = [];
  const clients: SseClient[] = [];
  const stores: SqliteTraceStore[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'skein-live-'));
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) client.abort();
    await Promise.all(
      servers.splice(0).map(
        (server) =>
          new Promise<void>((resolve) => {
            (server as ServerType & { closeAllConnections(): void }).closeAllConnections();
            server.close(() => resolve());
          }),
      ),
    );
    for (const store of stores.splice(0)) store.closeSync();
    rmSync(dir, { recursive: true, force: true });
  });

  async function start(
    options: Partial<LiveStreamOptions> = {},
    storeOptions: Partial<SqliteTraceStoreOptions> = {},
  ): Promise<Running> {
    const store = new SqliteTraceStore({ path: join(dir, 'live.db'), ...storeOptions });
    stores.push(store);
    const metrics = new MetricsRegistry();
    const abort = new AbortController();
    const app = new Hono();
    app.route('/api', createLiveStream({ store, pollIntervalMillis: 10, metrics, signal: abort.signal, ...options }));
    const server: ServerType = await new Promise((resolve) => {
      const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
    });
    servers.push(server);
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/live`, store, metrics, abort };
  }

  async function connect(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
    const client = await SseClient.connect(url, headers);
    clients.push(client);
    // The first frame (retry:) comes after the stream fixed its starting point.
    await client.waitFor(() => client.frames.length > 0, 'the first frame');
    return client;
  }

  const liveClients = (metrics: MetricsRegistry) => Number(/skein_live_clients (\d+)/.exec(metrics.render())?.[1]);

  it('streams every change after the connection, with its seq as id, as SSE', async () => {
    const { url, store } = await start();
    store.writeSync([makeRecord({ sessionId: 'before', name: 'unseen' })]);
    const client = await connect(url);
    expect(client.response.status).toBe(200);
    expect(client.response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(client.response.headers.get('cache-control')).toBe('no-cache');
    expect(client.frames[0].retry).toBe('1000');

    const record = makeRecord({ sessionId: 'live', name: 'step-1' });
    store.writeSync([opened(record)]);
    store.writeSync([record]);
    await client.waitFor(() => client.events.length >= 4, 'four events');
    const events = client.events;
    expect(events.map((e) => e.event)).toEqual(['span.started', 'session.updated', 'span.ended', 'session.updated']);
    const changes = client.changes<{ sessionId: string; step?: { name: string } }>();
    expect(events.map((e) => e.id)).toEqual(changes.map((c) => String(c.seq)));
    expect(changes.map((c) => c.seq)).toEqual(store.readChanges(3, { limit: 10 }).map((c) => c.seq));
    expect(changes.every((c) => c.sessionId === 'live')).toBe(true);
    expect(changes[0].step?.name).toBe('step-1');
  });

  it('resumes after Last-Event-ID with no gap and no duplicate', async () => {
    const { url, store } = await start();
    for (let i = 0; i < 4; i++) store.writeSync([makeRecord({ sessionId: 'resume', name: `s${i}` })]);
    const all = store.readChanges(0, { limit: 100 }).map((e) => e.seq);
    const resumeAfter = all[4];

    const client = await connect(url, { 'Last-Event-ID': String(resumeAfter) });
    await client.waitFor(() => client.events.length >= all.length - 5, 'the backlog');
    store.writeSync([makeRecord({ sessionId: 'resume', name: 'after' })]);
    await client.waitFor(() => client.events.some((e) => e.data.includes('"name":"after"')), 'the new step');
    await client.waitFor(() => client.events.length >= all.length - 5 + 3, 'its end and session');
    const ids = client.events.map((e) => Number(e.id));
    expect(ids).toEqual(store.readChanges(resumeAfter, { limit: 100 }).map((e) => e.seq));
    expect(new Set(ids).size).toBe(ids.length);

    // The query parameter does the same for a first connection; the header wins when both are given.
    const byQuery = await connect(`${url}?lastEventId=${all[9]}`);
    await byQuery.waitFor(() => byQuery.events.length >= 1, 'the backlog after the query id');
    expect(Number(byQuery.events[0].id)).toBe(all[10]);
    const both = await connect(`${url}?lastEventId=0`, { 'Last-Event-ID': String(all[10]) });
    await both.waitFor(() => both.events.length >= 1, 'the backlog after the header id');
    expect(Number(both.events[0].id)).toBe(all[11]);
  });

  it('filters by session', async () => {
    const { url, store } = await start();
    const client = await connect(`${url}?session=mine`);
    store.writeSync([makeRecord({ sessionId: 'other', name: 'theirs' }), makeRecord({ sessionId: 'mine', name: 'ours' })]);
    store.writeSync([makeRecord({ sessionId: 'other', name: 'theirs-2' })]);
    store.writeSync([makeRecord({ sessionId: 'mine', name: 'ours-2' })]);
    await client.waitFor(
      () => client.events.some((e) => e.data.includes('"name":"ours-2"') && e.event === 'span.ended'),
      'my second step to end',
    );
    await client.waitFor(() => client.events.filter((e) => e.event === 'session.updated').length >= 2, 'both updates');
    const changes = client.changes<{ sessionId: string }>();
    expect(changes.every((c) => c.sessionId === 'mine')).toBe(true);
    expect(changes.map((c) => c.seq)).toEqual(store.readChanges(0, { sessionId: 'mine', limit: 100 }).map((c) => c.seq));
  });

  it('sends heartbeats carrying the position reached, which a filtered client can resume from', async () => {
    const { url, store } = await start({ heartbeatMillis: 20 });
    const client = await connect(`${url}?session=quiet`);
    store.writeSync([makeRecord({ sessionId: 'noisy' })]);
    const latest = store.latestChangeSeq();
    await client.waitFor(
      () => client.frames.some((f) => f.comments.includes('heartbeat') && f.id === String(latest)),
      'a heartbeat at the latest position',
    );
    expect(client.events).toEqual([]);
  });

  it('sends reset when Last-Event-ID is older than the feed keeps, then carries on live', async () => {
    const { url, store } = await start({}, { changeFeed: { maxEvents: 3 } });
    for (let i = 0; i < 3; i++) store.writeSync([makeRecord({ sessionId: 'old', name: `s${i}` })]);
    const { trimmedThroughSeq, latestSeq } = store.changeFeedState();
    expect(trimmedThroughSeq).toBeGreaterThan(1);

    const client = await connect(url, { 'Last-Event-ID': '1' });
    await client.waitFor(() => client.events.length >= 1, 'the reset');
    expect(client.events[0]).toMatchObject({ event: 'reset', id: String(latestSeq) });
    expect(JSON.parse(client.events[0].data)).toEqual({ reason: 'expired', latestSeq });
    store.writeSync([makeRecord({ sessionId: 'old', name: 'next' })]);
    await client.waitFor(() => client.events.length >= 4, 'the events after the reset');
    expect(Number(client.events[1].id)).toBe(latestSeq + 1);

    // An id the feed never gave (a database replaced under the client) resets too.
    const future = await connect(url, { 'Last-Event-ID': String(latestSeq + 1000) });
    await future.waitFor(() => future.events.length >= 1, 'the reset for an unknown id');
    expect(future.events[0].event).toBe('reset');
    expect(JSON.parse(future.events[0].data)).toMatchObject({ reason: 'unknown-id' });
  });

  it('refuses a malformed Last-Event-ID or an empty session with 400', async () => {
    const { url } = await start();
    const bad = await fetch(url, { headers: { 'Last-Event-ID': 'abc' } });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('Last-Event-ID');
    expect((await fetch(`${url}?lastEventId=-1`)).status).toBe(400);
    expect((await fetch(`${url}?session=`)).status).toBe(400);
  });

  it('shares one poller and lets go of a client that disconnects', async () => {
    const { url, store, metrics } = await start();
    const a = await connect(url);
    const b = await connect(url);
    expect(liveClients(metrics)).toBe(2);
    a.abort();
    const deadline = Date.now() + 30_000;
    while (liveClients(metrics) !== 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(liveClients(metrics)).toBe(1);
    // The other client still gets events.
    store.writeSync([makeRecord({ sessionId: 'still' })]);
    await b.waitFor(() => b.events.length >= 3, 'events on the remaining client');
    b.abort();
    while (liveClients(metrics) !== 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(liveClients(metrics)).toBe(0);
  });

  it('ends every stream when its signal aborts, and refuses new ones with 503', async () => {
    const { url, abort } = await start();
    const client = await connect(url);
    abort.abort();
    await client.waitFor(() => client.ended, 'the stream to end');
    expect(client.error).toBeNull();
    expect((await fetch(url)).status).toBe(503);
  });

  it('ends its streams and reports the error when the store fails', async () => {
    const errors: unknown[] = [];
    const { url, store } = await start({ onError: (error) => errors.push(error) });
    const client = await connect(url);
    store.closeSync();
    await client.waitFor(() => client.ended, 'the stream to end');
    expect(errors.length).toBeGreaterThan(0);
    expect(String(errors[0])).toMatch(/closed/);
    // Nothing of the error leaks to the client.
    expect(client.events).toEqual([]);
  });

  it('catches up a client far behind page by page, in order', async () => {
    const { url, store } = await start();
    const records = Array.from({ length: 400 }, (_, i) => makeRecord({ sessionId: 'bulk', name: `b${i}` }));
    store.writeSync(records);
    const expected = store.readChanges(0, { limit: 10_000 }).map((e) => e.seq);
    expect(expected.length).toBe(801);
    const client = await connect(url, { 'Last-Event-ID': '0' });
    await client.waitFor(() => client.events.length >= expected.length, 'the whole backlog');
    expect(client.events.map((e) => Number(e.id))).toEqual(expected);
  });
});
