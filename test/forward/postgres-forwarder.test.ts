/**
 * OutboxForwarder on PostgreSQL's shared outbox (issue 18), against a real
 * server this file starts and a real OTLP/HTTP upstream: entries are claimed
 * before each attempt, so any live replica delivers them, in order per
 * (upstream, signal), exactly once; an upstream or database outage is
 * waited out, never the end of forwarding. Default forwarder options
 * throughout (no backoff tuning): what `skein serve` runs.
 */

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Hono } from 'hono';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCollectorForwarding } from '../../src/collector/collector-forwarding.js';
import { OutboxForwarder } from '../../src/forward/outbox-forwarder.js';
import type { DeliveryAttempt } from '../../src/forward/outbox-forwarder.js';
import { OutboxSnapshot } from '../../src/forward/outbox-counts.js';
import { ForwardingHealth } from '../../src/forward/forwarding-health.js';
import { OTLP_SIGNALS } from '../../src/model/signals.js';
import { MetricsRegistry } from '../../src/server/metrics.js';
import { registerOperations } from '../../src/server/query-api/operations.js';
import type { OtlpSignal } from '../../src/model/signals.js';
import { openPool } from '../../src/store/postgres/connection.js';
import { migratePg } from '../../src/store/postgres/migrations/index.js';
import { PgOutbox } from '../../src/store/postgres/pg-outbox.js';
import { usePostgres } from '../helpers/postgres-hooks.js';
import { closePool, startPostgres } from '../helpers/postgres-server.js';
import type { PostgresServer } from '../helpers/postgres-server.js';
import { itemsOf, payloadOf } from './upstreams.js';
import type { Payload } from './upstreams.js';

type Pool = ReturnType<typeof openPool>;

/** Outages are waited out with the default backoff (up to a minute between tries). */
const WAIT = { timeout: 50_000, interval: 50 };

const server = usePostgres();
let url: string;
let pools: Pool[];
const stops: Array<() => Promise<void>> = [];
/** Servers a test started for itself: stopped after its pools are closed. */
const ownServers: PostgresServer[] = [];

beforeEach(async () => {
  url = await server.createDatabase();
  pools = [];
  const pool = openTestPool();
  await migratePg(pool, 'the test database');
});
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
  await Promise.all(pools.map(closePool));
  for (const own of ownServers.splice(0)) await own.stop();
});

function openTestPool(): Pool {
  const pool = openPool(url);
  // An idle client's error (the server killed) must not crash the test; the next query reports it.
  pool.on('error', () => undefined);
  pools.push(pool);
  return pool;
}

/** A collector replica's outbox: a pool of its own. */
function replica(replicaId: string): PgOutbox {
  return new PgOutbox(openTestPool(), { replicaId });
}

interface Arrival {
  signal: OtlpSignal;
  items: string[];
  status: number;
}

/**
 * An OTLP/HTTP upstream recording each request as it arrives; `answer(index)`
 * gives the status, and may hold the request (a promise) to stage a test.
 */
async function startUpstream(answer: (index: number) => number | Promise<number> = () => 200) {
  const arrivals: Arrival[] = [];
  const paths: Record<string, OtlpSignal> = { '/v1/traces': 'traces', '/v1/logs': 'logs', '/v1/metrics': 'metrics' };
  const http = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const signal = paths[req.url ?? ''];
      const index = arrivals.length;
      const arrival: Arrival = { signal, items: itemsOf(signal, new Uint8Array(Buffer.concat(chunks))), status: 0 };
      arrivals.push(arrival);
      void Promise.resolve(answer(index)).then((status) => {
        arrival.status = status;
        res.writeHead(status, { 'content-type': 'application/x-protobuf' });
        res.end();
      });
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  stops.push(
    () =>
      new Promise<void>((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  );
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    arrivals,
    /** The items of every request the upstream accepted, in arrival order. */
    accepted: () => arrivals.filter((a) => a.status === 200).flatMap((a) => a.items),
  };
}

/** A forwarder with the default options, stopped after the test; its attempts recorded. */
function forwarder(outbox: PgOutbox, upstream: string) {
  const attempts: DeliveryAttempt[] = [];
  const f = new OutboxForwarder({ outbox, url: upstream, onAttempt: (a) => attempts.push(a) });
  stops.push(() => f.stop());
  return { forwarder: f, attempts };
}

/** Queues `count` requests of every signal in turn (2 items each) on `outboxes` in turn; returns them in queue order. */
async function enqueue(outboxes: readonly PgOutbox[], upstream: string, count: number): Promise<Payload[]> {
  const queued: Payload[] = [];
  for (let i = 0; i < count; i++) {
    const p = payloadOf(OTLP_SIGNALS[i % OTLP_SIGNALS.length], 2);
    await outboxes[i % outboxes.length].enqueue([upstream], p.bytes, p.items.length, { signal: p.signal });
    queued.push(p);
  }
  return queued;
}

/** Every queued item was accepted exactly once, and per signal in queue order. */
function expectDeliveredOnceInOrder(arrivals: readonly Arrival[], queued: readonly Payload[]): void {
  for (const signal of OTLP_SIGNALS) {
    const accepted = arrivals.filter((a) => a.signal === signal && a.status === 200).flatMap((a) => a.items);
    expect(accepted, signal).toEqual(queued.filter((p) => p.signal === signal).flatMap((p) => p.items));
  }
}

const countOf = (queued: readonly Payload[]) => queued.reduce((n, p) => n + p.items.length, 0);

describe('OutboxForwarder on PostgreSQL', () => {
  it('delivers what was queued through PgOutbox, in order per signal, with the default options, and empties the queue', async () => {
    const upstream = await startUpstream();
    const outbox = replica('r1');
    const queued = await enqueue([outbox], upstream.url, 9);
    const { forwarder: f, attempts } = forwarder(outbox, upstream.url);
    f.start();
    await expect.poll(() => upstream.accepted().length, WAIT).toBe(countOf(queued));
    expectDeliveredOnceInOrder(upstream.arrivals, queued);
    await expect.poll(() => outbox.depth(), WAIT).toEqual([]);
    expect(attempts.map((a) => a.outcome)).toEqual(Array(9).fill('delivered'));
    // Entries queued later, when the forwarder is idle, go on notify().
    const later = await enqueue([outbox], upstream.url, 3);
    f.notify();
    await expect.poll(() => upstream.accepted().length, WAIT).toBe(countOf(queued) + countOf(later));
    expectDeliveredOnceInOrder(upstream.arrivals, [...queued, ...later]);
  });

  it('waits out an upstream that answers 503, then delivers everything once, in order', async () => {
    const upstream = await startUpstream((i) => (i < 2 ? 503 : 200));
    const outbox = replica('r1');
    const queued = await enqueue([outbox], upstream.url, 6);
    const { forwarder: f, attempts } = forwarder(outbox, upstream.url);
    f.start();
    await expect.poll(() => upstream.accepted().length, WAIT).toBe(countOf(queued));
    expectDeliveredOnceInOrder(upstream.arrivals, queued);
    // The refused request was the first one, sent twice, then delivered: nothing newer went before it.
    expect(upstream.arrivals.slice(0, 3).map((a) => [a.signal, a.status])).toEqual([
      ['traces', 503],
      ['traces', 503],
      ['traces', 200],
    ]);
    expect(attempts.map((a) => a.outcome)).toEqual(['retry', 'retry', ...Array(6).fill('delivered')]);
    await expect.poll(() => outbox.depth(), WAIT).toEqual([]);
    expect(f.health()).toMatchObject({ state: 'delivering', consecutiveFailures: 0 });
  });

  it('two replicas on one upstream deliver every entry exactly once, in order per signal, both at work', async () => {
    // The first request is held until a second one arrives meanwhile: only the other replica can send it.
    let release!: (status: number) => void;
    const held = new Promise<number>((resolve) => (release = resolve));
    const upstream = await startUpstream((i) => {
      if (i === 0) return held;
      if (i === 1) release(200);
      return 200;
    });
    const outboxes = [replica('r1'), replica('r2')];
    const queued = await enqueue(outboxes, upstream.url, 30);
    const replicas = outboxes.map((outbox) => forwarder(outbox, upstream.url));
    for (const r of replicas) r.forwarder.start();
    // More while they run, each replica queuing (and notified) as its ingest would be.
    const more = await enqueue(outboxes, upstream.url, 15);
    for (const r of replicas) r.forwarder.notify();
    const all = [...queued, ...more];
    await expect.poll(() => upstream.accepted().length, WAIT).toBe(countOf(all));
    for (const r of replicas) await r.forwarder.stop();
    expectDeliveredOnceInOrder(upstream.arrivals, all);
    expect(upstream.arrivals).toHaveLength(all.length);
    const delivered = replicas.map((r) => r.attempts.filter((a) => a.outcome === 'delivered').length);
    expect(delivered[0] + delivered[1]).toBe(all.length);
    expect(delivered[0]).toBeGreaterThan(0);
    expect(delivered[1]).toBeGreaterThan(0);
    expect(await outboxes[0].depth()).toEqual([]);
  });

  it('resumes by itself after PostgreSQL is killed and restarted mid-run, delivering everything once, in order', async () => {
    let release!: (status: number) => void;
    const held = new Promise<number>((resolve) => (release = resolve));
    const upstream = await startUpstream((i) => (i === 0 ? held : 200));
    // Killed, a server without fsync (the shared one) loses its last commits: this one is durable.
    const durable = await startPostgres({ durable: true });
    ownServers.push(durable);
    url = await durable.createDatabase();
    await migratePg(openTestPool(), 'the durable test database');
    const outbox = replica('r1');
    const queued = await enqueue([outbox], upstream.url, 9);
    const { forwarder: f, attempts } = forwarder(outbox, upstream.url);
    f.start();
    await expect.poll(() => upstream.arrivals.length, WAIT).toBe(1);
    // The database goes away while the first request is in flight: its delivery cannot be recorded.
    await durable.kill();
    release(200);
    await expect.poll(() => attempts.filter((a) => a.outcome === 'error').length, WAIT).toBeGreaterThanOrEqual(2);
    expect(f.health()).toMatchObject({ state: 'failing' });
    await durable.restart();
    await expect.poll(() => upstream.accepted().length, WAIT).toBe(countOf(queued));
    // Recorded once the database was back, not sent again.
    expectDeliveredOnceInOrder(upstream.arrivals, queued);
    expect(upstream.arrivals).toHaveLength(queued.length);
    await expect.poll(() => outbox.depth(), WAIT).toEqual([]);
    expect(attempts.filter((a) => a.outcome === 'delivered')).toHaveLength(queued.length);
    expect(f.health()).toMatchObject({ state: 'delivering', consecutiveFailures: 0 });
  });

  it("releases the replica's claims when its last forwarder stops, not while another may still send on one", async () => {
    const r1 = replica('r1');
    const r2 = replica('r2');
    const [u1, u2] = ['http://one.example:4318', 'http://two.example:4318'];
    const p = payloadOf('traces', 1);
    await r1.enqueue([u2], p.bytes, 1);
    const f1 = new OutboxForwarder({ outbox: r1, url: u1 });
    const f2 = new OutboxForwarder({ outbox: r1, url: u2 });
    stops.push(() => f1.stop(), () => f2.stop());
    // r1 holds u2's entry, as f2 does while sending it.
    expect(await r1.claimDue(u2, 1, 600_000)).toHaveLength(1);
    await f1.stop();
    expect(await r2.claimDue(u2, 1, 600_000)).toEqual([]);
    await f2.stop();
    // Released: r2 takes the queue over now, not in ten minutes.
    expect((await r2.claimDue(u2, 1, 600_000)).map((e) => e.spanCount)).toEqual([1]);
  });
});

describe('OutboxSnapshot', () => {
  it("serves PgOutbox's counts synchronously to ForwardingHealth, read again on refresh()", async () => {
    const outbox = replica('r1');
    const upstream = 'http://configured:4318';
    const snapshot = new OutboxSnapshot(outbox);
    stops.push(() => snapshot.stop());
    const f = new OutboxForwarder({ outbox, url: upstream });
    stops.push(() => f.stop());
    const health = new ForwardingHealth(snapshot, [f], 150);
    expect(health.fullUpstream()).toBeUndefined();
    await outbox.enqueue([upstream, 'http://gone:4318'], new Uint8Array(100), 3);
    await outbox.enqueue([upstream], new Uint8Array(50), 2);
    // Not read yet: the last counts (none) are served.
    expect(health.upstreams()[0]).toMatchObject({ queuedEntries: 0, full: false });
    await snapshot.refresh();
    expect(health.upstreams()[0]).toMatchObject({ queuedEntries: 2, queuedSpans: 5, queuedBytes: 150, full: true });
    expect(health.fullUpstream()).toBe(upstream);
    expect(health.leftovers()).toEqual([{ upstream: 'http://gone:4318', entries: 1, spans: 3, deadLetters: 0 }]);
    await outbox.dropQueue(upstream);
    await snapshot.refresh();
    expect(health.fullUpstream()).toBeUndefined();
  });
});

describe('createCollectorForwarding on PgOutbox', () => {
  it('refuses exports while the shared queue is full, delivers it, then accepts again; gauges and /readyz read the snapshot', async () => {
    const upstream = await startUpstream();
    const outbox = replica('r1');
    const metrics = new MetricsRegistry();
    const forwarding = createCollectorForwarding(outbox, [{ url: upstream.url }], { maxOutboxBytes: 1 }, metrics);
    stops.push(() => forwarding.stop());
    await forwarding.countsRead();
    expect(forwarding.refusal()).toBeNull();
    // Queued by another replica: this one learns of it from the database.
    const queued = await enqueue([replica('r2')], upstream.url, 3);
    await forwarding.countsRead();
    expect(forwarding.refusal()).toContain(`the forwarding outbox for ${upstream.url} is full`);
    expect(forwarding.readiness(true)).toMatchObject({ ready: false, body: { status: 'outbox full' } });
    expect(metrics.render()).toContain(`skein_outbox_entries{upstream="${upstream.url}"} 3`);
    forwarding.start();
    await expect.poll(() => upstream.accepted().length, WAIT).toBe(countOf(queued));
    // Each delivery asks for the counts again.
    await expect.poll(() => forwarding.refusal(), WAIT).toBeNull();
    expect(forwarding.readiness(true)).toMatchObject({ ready: true, body: { status: 'ready' } });
    expect(metrics.render()).toContain(`skein_forward_items_delivered_total{upstream="${upstream.url}",signal="logs"} 2`);
    expectDeliveredOnceInOrder(upstream.arrivals, queued);
  });
});

describe('/operations/forwarding on PgOutbox', () => {
  it('lists, replays and drops on the shared outbox', async () => {
    const upstream = 'http://collector-a:4318';
    const outbox = replica('r1');
    await outbox.enqueue([upstream], new Uint8Array([1, 2, 3]), 3);
    const [entry] = await outbox.claimDue(upstream, 1, 60_000);
    expect(await outbox.deadLetter(entry.id, 400, 'bad request')).toBe(true);
    await outbox.enqueue([upstream], new Uint8Array([4, 5]), 2);
    let drops = 0;
    let replays = 0;
    const app = new Hono();
    registerOperations(app, { forwarding: { outbox, onReplay: () => void replays++, onDrop: () => void drops++ } });
    const json = { 'Content-Type': 'application/json' };
    const q = encodeURIComponent(upstream);

    const listed = (await (await app.request('/operations/forwarding')).json()) as { upstreams: Array<Record<string, unknown>> };
    expect(listed.upstreams).toMatchObject([
      { upstream, configured: false, queued: 1, queuedSpans: 2, deadLetters: 1, lastDeadLetter: { status: 400, response: 'bad request' } },
    ]);
    const dead = (await (await app.request(`/operations/forwarding/dead-letters?upstream=${q}`)).json()) as { deadLetters: Array<{ id: number }> };
    expect(dead.deadLetters).toHaveLength(1);

    const wrongId = await app.request(`/operations/forwarding/replay?upstream=${q}&id=${dead.deadLetters[0].id + 1}`, { method: 'POST', headers: json });
    expect(wrongId.status).toBe(404);
    const replayed = await app.request(`/operations/forwarding/replay?upstream=${q}&id=${dead.deadLetters[0].id}`, { method: 'POST', headers: json });
    expect(replayed.status).toBe(200);
    expect(await replayed.json()).toMatchObject({ replayed: [{ deadId: dead.deadLetters[0].id, spanCount: 3 }] });
    expect(replays).toBe(1);

    const dropped = await app.request(`/operations/forwarding/drop?upstream=${q}`, { method: 'POST', headers: json, body: '{}' });
    expect(await dropped.json()).toEqual({ dropped: { upstream, entries: 2, spans: 5, bytes: 5, deadLetters: 0 } });
    expect(drops).toBe(1);
    expect(await outbox.queues()).toEqual([]);
    const nothing = await app.request(`/operations/forwarding/drop?upstream=${q}`, { method: 'POST', headers: json, body: '{}' });
    expect(nothing.status).toBe(404);
  });
});
