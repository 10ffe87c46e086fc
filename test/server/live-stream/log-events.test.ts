/** `log` change events on GET /api/live over real HTTP: their own SSE event type, the session filter, Last-Event-ID resume. */

import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import type { ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LogRecordJson } from '../../../src/model/log-view.js';
import { createLiveStream } from '../../../src/server/live-stream/index.js';
import { SqliteTraceStore } from '../../../src/store/sqlite/index.js';
import { makeRecord } from '../../helpers/records.js';
import { makeLog } from '../query-api/signal-seed.js';
import { SseClient } from './sse-client.js';

interface LogChange {
  seq: number;
  kind: string;
  sessionId: string;
  log: LogRecordJson;
}

describe('GET /api/live: log events', () => {
  let dir: string;
  let store: SqliteTraceStore;
  let server: ServerType;
  let url: string;
  const clients: SseClient[] = [];

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skein-live-logs-'));
    store = new SqliteTraceStore({ path: join(dir, 'live.db') });
    const app = new Hono().route('/api', createLiveStream({ store, pollIntervalMillis: 10 }));
    server = await new Promise((resolve) => {
      const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
    });
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/live`;
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) client.abort();
    await new Promise<void>((resolve) => {
      (server as ServerType & { closeAllConnections(): void }).closeAllConnections();
      server.close(() => resolve());
    });
    store.closeSync();
    rmSync(dir, { recursive: true, force: true });
  });

  async function connect(target: string, headers: Record<string, string> = {}): Promise<SseClient> {
    const client = await SseClient.connect(target, headers);
    clients.push(client);
    await client.waitFor(() => client.frames.length > 0, 'the first frame');
    return client;
  }

  const logEvents = (client: SseClient) => client.events.filter((e) => e.event === 'log');

  it('sends each stored record of the session as a `log` event carrying the record as the API shows it', async () => {
    const client = await connect(`${url}?session=mine`);
    await store.writeLogs([
      makeLog(10, 'theirs', { eventName: 'not.mine' }),
      makeLog(20, 'mine', { eventName: 'gen_ai.user.message', body: { content: 'hi' }, severityNumber: 13 }),
    ]);
    store.writeSync([makeRecord({ sessionId: 'mine', name: 'a step' })]);
    await store.writeLogs([makeLog(30, 'mine', { eventName: 'gen_ai.choice' })]);
    await client.waitFor(() => logEvents(client).length >= 2, 'two log events');
    const expected = store.readChanges(0, { sessionId: 'mine', limit: 100 }).map((c) => c.seq);
    await client.waitFor(() => client.events.length >= expected.length, 'every event of the session');

    const frames = logEvents(client);
    const changes = frames.map((f) => JSON.parse(f.data) as LogChange);
    expect(changes.map((c) => c.log.eventName)).toEqual(['gen_ai.user.message', 'gen_ai.choice']);
    expect(frames.map((f) => f.id)).toEqual(changes.map((c) => String(c.seq)));
    expect(changes[0]).toMatchObject({ kind: 'log', sessionId: 'mine' });
    expect(changes[0].log).toMatchObject({ sessionId: 'mine', severityNumber: 13, body: { content: 'hi' } });
    expect(changes[0].log.id).toBeTypeOf('number');
    // Logs and steps share one feed, in commit order; nothing of the other session.
    const all = client.changes<{ sessionId: string }>();
    expect(all.every((c) => c.sessionId === 'mine')).toBe(true);
    expect(all.map((c) => c.seq)).toEqual(expected);
    expect(all.map((c) => c.kind).indexOf('span.started')).toBeGreaterThan(all.map((c) => c.kind).indexOf('log'));
  });

  it('resumes after Last-Event-ID with no gap and no duplicate, log events included', async () => {
    await store.writeLogs([makeLog(1, 'resume', { eventName: 'first' }), makeLog(2, 'resume', { eventName: 'second' })]);
    store.writeSync([makeRecord({ sessionId: 'resume', name: 'between' })]);
    await store.writeLogs([makeLog(3, 'resume', { eventName: 'third' })]);
    const feed = store.readChanges(0, { limit: 100 });
    const first = feed.find((e) => e.kind === 'log')!;

    const client = await connect(url, { 'Last-Event-ID': String(first.seq) });
    await store.writeLogs([makeLog(4, 'resume', { eventName: 'fourth' })]);
    await client.waitFor(() => logEvents(client).some((e) => e.data.includes('"eventName":"fourth"')), 'the new record');
    const expected = store.readChanges(first.seq, { limit: 100 }).map((e) => e.seq);
    await client.waitFor(() => client.events.length >= expected.length, 'every event after the id');
    const ids = client.events.map((e) => Number(e.id));
    expect(ids).toEqual(expected);
    expect(new Set(ids).size).toBe(ids.length);
    const names = logEvents(client).map((e) => (JSON.parse(e.data) as LogChange).log.eventName);
    expect(names).toEqual(['second', 'third', 'fourth']);
  });
});
