/**
 * GET /api/live on PostgreSQL (issue 18): two collector replicas share one
 * database; a client of replica A sees what is written through replica B,
 * woken by LISTEN/NOTIFY, with the SQLite stream's resume contract
 * (Last-Event-ID: no gap, no duplicate), through an outage of the database.
 */

import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
import { createLiveStream } from '../../../src/server/live-stream/index.js';
import type { LiveStreamOptions } from '../../../src/server/live-stream/index.js';
import type { AsyncChangeFeedReader } from '../../../src/store/change-feed.js';
import { PostgresTraceStore } from '../../../src/store/postgres/index.js';
import { openedStores, usePostgres } from '../../helpers/postgres-hooks.js';
import { makeLlmRecord, makeRecord, opened } from '../../helpers/records.js';
import { SseClient } from './sse-client.js';

interface StepChange {
  seq: number;
  kind: string;
  sessionId: string;
  step?: { name: string };
}

const stores = openedStores();
const servers: ServerType[] = [];
const clients: SseClient[] = [];
const aborts: AbortController[] = [];

// Runs before the stores are closed (vitest runs after-hooks last registered first).
afterEach(async () => {
  for (const abort of aborts.splice(0)) abort.abort();
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
});

const openStore = (url: string): Promise<PostgresTraceStore> => stores.open(url);

/** Replica A's live stream (only the store and a shutdown signal unless `options` says more); its URL. */
async function serveLive(options: LiveStreamOptions): Promise<string> {
  const abort = new AbortController();
  aborts.push(abort);
  const app = new Hono();
  app.route('/api', createLiveStream({ signal: abort.signal, ...options }));
  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
  });
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/live`;
}

async function connect(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
  const client = await SseClient.connect(url, headers);
  clients.push(client);
  // The first frame (retry:) comes after the stream fixed its starting point.
  await client.waitFor(() => client.frames.length > 0, 'the first frame');
  return client;
}

const ids = (client: SseClient) => client.events.map((e) => Number(e.id));
const lastId = (client: SseClient) => ids(client).at(-1)!;
const seqs = async (store: PostgresTraceStore, after: number, sessionId?: string) =>
  (await store.readChanges(after, { sessionId, limit: 10_000 })).map((e) => e.seq);

describe('GET /api/live on PostgreSQL, two replicas', () => {
  const server = usePostgres();

  it('streams the steps written through the other replica, in order, with the default options', async () => {
    const url = await server.createDatabase();
    const [a, b] = [await openStore(url), await openStore(url)];
    await b.write([makeRecord({ sessionId: 'before', name: 'unseen' })]);
    const live = await serveLive({ store: a });
    const client = await connect(live);
    expect(client.response.status).toBe(200);
    expect(client.response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const start = await a.latestChangeSeq();

    const call = makeLlmRecord({ sessionId: 'live', name: 'plan' });
    await b.write([opened(call)]);
    await client.waitFor(() => client.events.length >= 2, 'the start from replica B');
    await b.write([call]);
    await client.waitFor(() => client.events.length >= 4, 'the end from replica B');
    const changes = client.changes<StepChange>();
    expect(changes.map((c) => c.kind)).toEqual(['span.started', 'session.updated', 'span.ended', 'session.updated']);
    expect(changes.map((c) => c.step?.name)).toEqual(['plan', undefined, 'plan', undefined]);
    expect(ids(client)).toEqual(changes.map((c) => c.seq));
    expect(ids(client)).toEqual(await seqs(a, start));
    expect(client.frames.some((f) => f.data?.includes('unseen'))).toBe(false);

    // Both replicas writing at once: one order for everyone, every id once, none missing.
    const writes = [];
    for (let i = 0; i < 8; i++) {
      writes.push(a.write([makeRecord({ sessionId: 'busy', name: `a${i}` })]));
      writes.push(b.write([makeRecord({ sessionId: 'busy', name: `b${i}` })]));
    }
    await Promise.all(writes);
    const expected = await seqs(a, start);
    await client.waitFor(() => client.events.length >= expected.length, 'every event of both replicas');
    expect(ids(client)).toEqual(expected);
    expect(expected).toEqual(Array.from({ length: expected.length }, (_, i) => start + 1 + i));
    const names = client.changes<StepChange>().flatMap((c) => (c.kind === 'span.started' ? [c.step!.name] : []));
    expect(names.filter((n) => n !== 'plan').sort()).toEqual([...Array(8).keys()].flatMap((i) => [`a${i}`, `b${i}`]).sort());
  });

  it('resumes after Last-Event-ID with what was committed while disconnected, no gap and no duplicate', async () => {
    const url = await server.createDatabase();
    const [a, b] = [await openStore(url), await openStore(url)];
    const live = await serveLive({ store: a });
    const first = await connect(live);
    await b.write([makeRecord({ sessionId: 'resume', name: 's0' })]);
    await first.waitFor(() => first.events.length >= 3, 'the first step');
    first.abort();
    await first.waitFor(() => first.ended, 'the first connection to close');
    const seen = lastId(first);

    // Committed while nobody listens, through both replicas.
    await b.write([makeRecord({ sessionId: 'resume', name: 's1' }), makeRecord({ sessionId: 'other', name: 'o1' })]);
    await a.write([makeRecord({ sessionId: 'resume', name: 's2' })]);
    const missed = await seqs(a, seen);
    expect(missed.length).toBeGreaterThan(0);

    const second = await connect(live, { 'Last-Event-ID': String(seen) });
    await second.waitFor(() => second.events.length >= missed.length, 'what was missed');
    expect(ids(second)).toEqual(missed);
    await b.write([makeRecord({ sessionId: 'resume', name: 's3' })]);
    await second.waitFor(() => second.events.some((e) => e.data.includes('"name":"s3"') && e.event === 'span.ended'), 'the live step');
    await second.waitFor(() => second.events.length >= missed.length + 3, 'its session update');

    const all = [...ids(first), ...ids(second)];
    expect(all).toEqual(await seqs(a, 0));
    expect(new Set(all).size).toBe(all.length);

    // Resuming inside one transaction's events (a write of two sessions) gets the rest of them.
    const inside = missed[1];
    const third = await connect(live, { 'Last-Event-ID': String(inside) });
    const rest = await seqs(a, inside);
    await third.waitFor(() => third.events.length >= rest.length, 'the events after an id inside a row');
    expect(ids(third)).toEqual(rest);
  });

  it('filters by session across replicas', async () => {
    const url = await server.createDatabase();
    const [a, b] = [await openStore(url), await openStore(url)];
    const live = await serveLive({ store: a });
    const client = await connect(`${live}?session=mine`);
    await b.write([makeRecord({ sessionId: 'other', name: 'theirs' }), makeRecord({ sessionId: 'mine', name: 'ours' })]);
    await a.write([makeRecord({ sessionId: 'other', name: 'theirs-2' })]);
    await b.write([makeRecord({ sessionId: 'mine', name: 'ours-2' })]);
    const expected = await seqs(a, 0, 'mine');
    expect(expected).toHaveLength(6);
    await client.waitFor(() => client.events.length >= expected.length, "my session's events");
    const changes = client.changes<StepChange>();
    expect(changes.every((c) => c.sessionId === 'mine')).toBe(true);
    expect(ids(client)).toEqual(expected);

    // A filtered client resumes after its last id, or after a heartbeat's, the same way.
    await b.write([makeRecord({ sessionId: 'other', name: 'theirs-3' }), makeRecord({ sessionId: 'mine', name: 'ours-3' })]);
    const resumed = await connect(`${live}?session=mine`, { 'Last-Event-ID': String(lastId(client)) });
    const after = await seqs(a, lastId(client), 'mine');
    expect(after).toHaveLength(3);
    await resumed.waitFor(() => resumed.events.length >= 3, 'the events after the last id');
    expect(ids(resumed)).toEqual(after);
  });

  it('sends reset when Last-Event-ID is older than the feed keeps, then carries on live', async () => {
    const url = await server.createDatabase();
    const a = await openStore(url);
    // Replica B trims the feed as it appends, to its last 3 events.
    const b = await PostgresTraceStore.open({ url, changeFeed: { maxEvents: 3 } });
    stores.keep(b);
    for (let i = 0; i < 3; i++) await b.write([makeRecord({ sessionId: 'old', name: `s${i}` })]);
    const { trimmedThroughSeq, latestSeq } = await a.changeFeedState();
    expect(trimmedThroughSeq).toBeGreaterThan(1);

    const live = await serveLive({ store: a });
    const client = await connect(live, { 'Last-Event-ID': '1' });
    await client.waitFor(() => client.events.length >= 1, 'the reset');
    expect(client.events[0]).toMatchObject({ event: 'reset', id: String(latestSeq) });
    expect(JSON.parse(client.events[0].data)).toEqual({ reason: 'expired', latestSeq });
    await b.write([makeRecord({ sessionId: 'old', name: 'next' })]);
    await client.waitFor(() => client.events.length >= 4, 'the events after the reset');
    expect(ids(client).slice(1)).toEqual([latestSeq + 1, latestSeq + 2, latestSeq + 3]);
  });

  it('never reads the feed twice at once: a wake-up during a read reads again after it', async () => {
    const url = await server.createDatabase();
    const [a, b] = [await openStore(url), await openStore(url)];
    // Replica A's feed, whose hub reads (the hub reads pages of 1000, streams of 500) wait until released.
    let held: Array<() => void> | null = [];
    let hubReads = 0;
    let mostHubReads = 0;
    let wakes = 0;
    const feed: AsyncChangeFeedReader = {
      async readChanges(after, options) {
        if (options.limit !== 1000) return a.readChanges(after, options);
        mostHubReads = Math.max(mostHubReads, ++hubReads);
        try {
          if (held) await new Promise<void>((resolve) => held!.push(resolve));
          return await a.readChanges(after, options);
        } finally {
          hubReads--;
        }
      },
      latestChangeSeq: () => a.latestChangeSeq(),
      changeFeedState: () => a.changeFeedState(),
      onCommit: (listener) =>
        a.onCommit(() => {
          listener();
          wakes++;
        }),
    };
    const live = await serveLive({ store: feed });
    const client = await connect(live);
    await until(() => hubReads === 1, 'the hub to read');
    await b.write([makeRecord({ sessionId: 'held', name: 'one' })]);
    await until(() => wakes > 0, 'the wake-up of the commit');
    expect(mostHubReads).toBe(1);

    const release = held!;
    held = null;
    for (const resolve of release) resolve();
    await b.write([makeRecord({ sessionId: 'held', name: 'two' })]);
    const expected = await seqs(a, 0);
    await client.waitFor(() => client.events.length >= expected.length, 'both steps');
    expect(ids(client)).toEqual(expected);
    expect(mostHubReads).toBe(1);
  });

  it('reports a failed read of the feed, and a client resuming after it misses nothing', async () => {
    const url = await server.createDatabase();
    const [a, b] = [await openStore(url), await openStore(url)];
    // Replica A's feed, with reads that fail while `down` (the database as the stream sees it, unreachable).
    let down = false;
    const check = () => {
      if (down) throw new Error('the database is unreachable (test)');
    };
    const feed: AsyncChangeFeedReader = {
      readChanges: async (after, options) => (check(), a.readChanges(after, options)),
      latestChangeSeq: async () => (check(), a.latestChangeSeq()),
      changeFeedState: async () => (check(), a.changeFeedState()),
      onCommit: (listener) => a.onCommit(listener),
    };
    const errors: unknown[] = [];
    const live = await serveLive({ store: feed, pollIntervalMillis: 20, onError: (error) => errors.push(error) });
    const first = await connect(live);
    await b.write([makeRecord({ sessionId: 'outage', name: 'before' })]);
    await first.waitFor(() => first.events.length >= 3, 'the step before the outage');
    const seen = lastId(first);

    down = true;
    await b.write([makeRecord({ sessionId: 'outage', name: 'during' })]);
    // The hub's read fails and so does the client's: the stream ends (its client reconnects), nothing leaks.
    await first.waitFor(() => first.ended, 'the stream to end');
    expect(errors.length).toBeGreaterThan(0);
    expect(String(errors[0])).toContain('unreachable');
    expect(first.frames.some((f) => f.data?.includes('during'))).toBe(false);

    down = false;
    const second = await connect(live, { 'Last-Event-ID': String(seen) });
    const missed = await seqs(a, seen);
    await second.waitFor(() => second.events.length >= missed.length, 'the step written during the outage');
    expect(ids(second)).toEqual(missed);
    await b.write([makeRecord({ sessionId: 'outage', name: 'after' })]);
    await second.waitFor(() => second.events.length >= missed.length + 3, 'the step after the outage');
    const all = [...ids(first), ...ids(second)];
    expect(all).toEqual(await seqs(a, 0));
  });
});

describe('GET /api/live on PostgreSQL, through a restart of the server', () => {
  const own = usePostgres({ durable: true });

  it('keeps its clients, and brings them what was written once the database is back', async () => {
    const url = await own.createDatabase();
    const [a, b] = [await openStore(url), await openStore(url)];
    const errors: unknown[] = [];
    const live = await serveLive({ store: a, onError: (error) => errors.push(error) });
    const client = await connect(live);
    await b.write([makeRecord({ sessionId: 'restart', name: 'before' })]);
    await client.waitFor(() => client.events.length >= 3, 'the step before the restart');
    const seen = lastId(client);

    await own.kill();
    // A client arriving while the database is down (starting from now: its start is read from the
    // database) is told nothing of the error: its stream ends, and it retries.
    const refused = await SseClient.connect(live);
    clients.push(refused);
    await refused.waitFor(() => refused.ended, 'the stream of a client arriving during the outage to end');
    expect(refused.events).toEqual([]);
    expect(errors.length).toBeGreaterThan(0);

    await own.restart();
    // The writer's pool may hand out a connection the restart broke: its write is then retried.
    await writeOnceBack(b, [makeRecord({ sessionId: 'restart', name: 'after' })]);
    const all = await seqs(a, 0);
    await client.waitFor(() => client.events.length >= all.length, 'the step written after the restart');
    expect(ids(client)).toEqual(all);
    const resumed = await connect(live, { 'Last-Event-ID': String(seen) });
    const after = await seqs(a, seen);
    await resumed.waitFor(() => resumed.events.length >= after.length, 'the events after the outage, resumed');
    expect(ids(resumed)).toEqual(after);
  }, 120_000);
});

/** Writes `records` once the database takes writes again (a restart breaks the pool's idle connections). */
async function writeOnceBack(store: PostgresTraceStore, records: Parameters<PostgresTraceStore['write']>[0]): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await store.write(records);
      return;
    } catch (error) {
      if (attempt >= 20) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** Waits until `condition` holds (checked every few milliseconds), or fails after 30 s. */
async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
