/**
 * The operations routes: forwarding per upstream, replaying dead letters,
 * dropping a queue, deleting a session; behind the token and the host check,
 * mutations only by POST/DELETE with a JSON content type.
 */

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createNormalizer } from '../../../src/model/normalize.js';
import { createSkeinApp } from '../../../src/server/app.js';
import type { UpstreamHealth } from '../../../src/server/query-api/operations.js';
import { SqliteTraceStore } from '../../../src/store/sqlite/index.js';
import { SqliteOutbox } from '../../../src/store/sqlite/sqlite-outbox.js';
import { makeRawSpan } from '../../helpers/raw-spans.js';
import { tempDir } from './seed.js';

const A = 'http://collector-a:4318';
const B = 'http://collector-b:4318';
const noIngest = { ingest: async () => {} };

interface UpstreamJson {
  upstream: string;
  configured: boolean;
  state: string | null;
  queued: number;
  queuedSpans: number;
  oldestAgeSeconds: number | null;
  lastError: string | null;
  deadLetters: number;
  lastDeadLetter: { id: number; status: number | null; response: string } | null;
}

let dir: ReturnType<typeof tempDir>;
let store: SqliteTraceStore;
let outbox: SqliteOutbox;
let deadId: number;
let replays: number;

beforeEach(async () => {
  dir = tempDir('skein-ops-');
  store = new SqliteTraceStore({ path: `${dir.dir}/skein.db` });
  outbox = new SqliteOutbox(store.database);
  const payload = new Uint8Array([1, 2, 3, 4]);
  const tenMinutesAgo = Date.now() - 600_000;
  outbox.enqueue([A, B], payload, 3, { nowMillis: tenMinutesAgo });
  outbox.enqueue([A], payload, 2, { nowMillis: tenMinutesAgo + 1000 });
  // The first request to A is refused for good.
  const [first] = outbox.dueEntries(A, 1);
  outbox.deadLetter(first.id, 400, 'bad request: span name too long');
  deadId = outbox.listDeadLetters({ upstream: A })[0].id;
  await store.write([createNormalizer()(makeRawSpan({ attributes: { 'gen_ai.conversation.id': 'doomed' } }))]);
  replays = 0;
});

afterEach(async () => {
  await store.close();
  dir.cleanup();
});

const health = (): UpstreamHealth[] => [
  { upstream: A, state: 'failing', consecutiveFailures: 4, lastError: '503 Service Unavailable', lastErrorAgeSeconds: 12, pausedForSeconds: 30 },
];

function app(options: { token?: string } = {}) {
  return createSkeinApp({
    ingest: noIngest,
    store,
    token: options.token,
    forwarding: { outbox, health, onReplay: () => void replays++ },
  }).app;
}

const json = { 'Content-Type': 'application/json' };

async function forwarding(server = app()): Promise<Map<string, UpstreamJson>> {
  const res = await server.request('/api/operations/forwarding');
  expect(res.status).toBe(200);
  const body = (await res.json()) as { available: boolean; upstreams: UpstreamJson[] };
  expect(body.available).toBe(true);
  return new Map(body.upstreams.map((u) => [u.upstream, u]));
}

describe('GET /api/operations/forwarding', () => {
  it('shows per upstream the queue, the age of its oldest request, the last error and the dead letters', async () => {
    const upstreams = await forwarding();
    const a = upstreams.get(A)!;
    expect(a).toMatchObject({ configured: true, state: 'failing', queued: 1, queuedSpans: 2, lastError: '503 Service Unavailable', deadLetters: 1 });
    expect(a.lastDeadLetter).toMatchObject({ id: deadId, status: 400, response: 'bad request: span name too long' });
    const b = upstreams.get(B)!;
    expect(b).toMatchObject({ configured: false, state: null, queued: 1, queuedSpans: 3, deadLetters: 0, lastDeadLetter: null });
    expect(b.oldestAgeSeconds).toBeGreaterThanOrEqual(600);
  });

  it('without the collector\'s outbox, says there is none and changes nothing', async () => {
    const { app: plain } = createSkeinApp({ ingest: noIngest, store });
    const res = await plain.request('/api/operations/forwarding');
    expect(await res.json()).toEqual({ available: false, upstreams: [] });
    const drop = await plain.request(`/api/operations/forwarding/drop?upstream=${encodeURIComponent(B)}`, { method: 'POST', headers: json, body: '{}' });
    expect(drop.status).toBe(404);
    expect((await forwarding(app())).has(B)).toBe(true);
  });

  it('lists the dead letters with their answers', async () => {
    const res = await app().request(`/api/operations/forwarding/dead-letters?upstream=${encodeURIComponent(A)}`);
    const body = (await res.json()) as { deadLetters: Array<{ id: number; response: string }> };
    expect(body.deadLetters.map((d) => d.id)).toEqual([deadId]);
  });
});

describe('POST /api/operations/forwarding/replay', () => {
  it('moves the dead letters of an upstream back into its queue and wakes the forwarders', async () => {
    const server = app();
    const res = await server.request(`/api/operations/forwarding/replay?upstream=${encodeURIComponent(A)}`, { method: 'POST', headers: json, body: '{}' });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { replayed: Array<{ deadId: number; spanCount: number }> };
    expect(body.replayed).toMatchObject([{ deadId, spanCount: 3 }]);
    expect(replays).toBe(1);
    const a = (await forwarding(server)).get(A)!;
    expect(a).toMatchObject({ queued: 2, queuedSpans: 5, deadLetters: 0 });
  });

  it('replays one dead letter by id, and answers 404 for an id of another upstream', async () => {
    const server = app();
    const other = await server.request(`/api/operations/forwarding/replay?upstream=${encodeURIComponent(B)}&id=${deadId}`, { method: 'POST', headers: json });
    expect(other.status).toBe(404);
    expect((await forwarding(server)).get(A)?.deadLetters).toBe(1);
    const mine = await server.request(`/api/operations/forwarding/replay?upstream=${encodeURIComponent(A)}&id=${deadId}`, { method: 'POST', headers: json });
    expect(mine.status).toBe(200);
    const again = await server.request(`/api/operations/forwarding/replay?upstream=${encodeURIComponent(A)}&id=${deadId}`, { method: 'POST', headers: json });
    expect(again.status).toBe(404);
  });

  it('refuses a request that is not JSON (a cross-site form) and a GET', async () => {
    const server = app();
    const form = await server.request(`/api/operations/forwarding/replay?upstream=${encodeURIComponent(A)}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'x=1',
    });
    expect(form.status).toBe(415);
    const get = await server.request(`/api/operations/forwarding/replay?upstream=${encodeURIComponent(A)}`);
    expect(get.status).toBe(404);
    expect(replays).toBe(0);
    expect((await forwarding(server)).get(A)?.deadLetters).toBe(1);
  });

  it('names a missing upstream parameter', async () => {
    const res = await app().request('/api/operations/forwarding/replay', { method: 'POST', headers: json });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { parameter: string } }).error.parameter).toBe('upstream');
  });
});

describe('POST /api/operations/forwarding/drop', () => {
  it("deletes an upstream's queue, keeps its dead letters unless dead=true, and answers 404 when nothing is left", async () => {
    const server = app();
    const drop = (query: string) => server.request(`/api/operations/forwarding/drop?${query}`, { method: 'POST', headers: json, body: '{}' });
    const first = await drop(`upstream=${encodeURIComponent(A)}`);
    expect(first.status).toBe(200);
    expect(((await first.json()) as { dropped: unknown }).dropped).toMatchObject({ upstream: A, entries: 1, spans: 2, deadLetters: 0 });
    expect((await forwarding(server)).get(A)).toMatchObject({ queued: 0, deadLetters: 1 });
    expect((await drop(`upstream=${encodeURIComponent(A)}`)).status).toBe(404);
    const dead = await drop(`upstream=${encodeURIComponent(A)}&dead=true`);
    expect(((await dead.json()) as { dropped: unknown }).dropped).toMatchObject({ entries: 0, deadLetters: 1 });
    // B was not touched.
    expect((await forwarding(server)).get(B)?.queued).toBe(1);
  });
});

describe('authorization', () => {
  it('requires the token for reading and for changing', async () => {
    const server = app({ token: 's3cret' });
    expect((await server.request('/api/operations/forwarding')).status).toBe(401);
    const url = `/api/operations/forwarding/drop?upstream=${encodeURIComponent(B)}`;
    expect((await server.request(url, { method: 'POST', headers: json })).status).toBe(401);
    expect((await server.request('/api/sessions/doomed', { method: 'DELETE' })).status).toBe(401);
    expect(outbox.queues().find((q) => q.upstream === B)?.entries).toBe(1);
    const ok = await server.request(url, { method: 'POST', headers: { ...json, Authorization: 'Bearer s3cret' } });
    expect(ok.status).toBe(200);
    const deleted = await server.request('/api/sessions/doomed', { method: 'DELETE', headers: { Authorization: 'Bearer s3cret' } });
    expect(deleted.status).toBe(204);
    expect((await server.request('/api/sessions/doomed', { headers: { Authorization: 'Bearer s3cret' } })).status).toBe(404);
  });

  it('without a token, answers only loopback host names', async () => {
    const server = app();
    const url = `http://evil.example/api/operations/forwarding/drop?upstream=${encodeURIComponent(B)}`;
    expect((await server.request(url, { method: 'POST', headers: json })).status).toBe(403);
    expect(outbox.queues().find((q) => q.upstream === B)?.entries).toBe(1);
  });
});

describe('OpenAPI', () => {
  it('documents the operations routes, the mutations as POST', async () => {
    const doc = (await (await app().request('/api/openapi.json')).json()) as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(doc.paths['/operations/forwarding'])).toEqual(['get']);
    expect(Object.keys(doc.paths['/operations/forwarding/replay'])).toEqual(['post']);
    expect(Object.keys(doc.paths['/operations/forwarding/drop'])).toEqual(['post']);
  });
});
