import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeTraceRequest } from '../../src/otlp/index.js';
import { DeadLetterNotFoundError, SqliteOutbox } from '../../src/store/sqlite/sqlite-outbox.js';
import type { OutboxDepth } from '../../src/store/sqlite/sqlite-outbox.js';
import { SqliteTraceStore } from '../../src/store/sqlite/sqlite-trace-store.js';
import { makeRawSpan } from '../helpers/raw-spans.js';

const A = 'http://a.example:4318';
const B = 'http://b.example:4318';

let dir: string;
let store: SqliteTraceStore;
let outbox: SqliteOutbox;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'skein-outbox-'));
  store = new SqliteTraceStore({ path: join(dir, 'skein.db') });
  outbox = new SqliteOutbox(store.database);
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

function payload(spans: number): Uint8Array {
  return encodeTraceRequest(Array.from({ length: spans }, () => makeRawSpan()), 'protobuf');
}

/** Queues a request for `upstream` and has the upstream refuse it for good; returns the dead letter's id. */
function killOne(upstream: string, spans: number, nowMillis: number): number {
  outbox.enqueue([upstream], payload(spans), spans, { nowMillis });
  const entry = outbox.dueEntries(upstream, 1_000, nowMillis).at(-1)!;
  outbox.deadLetter(entry.id, 400, `HTTP 400: bad span in a batch of ${spans}`, nowMillis + 10);
  return outbox.listDeadLetters({ upstream, limit: 1 })[0].id;
}

/** What the in-memory totals say, next to what a fresh count of the tables says. */
function depthInMemoryAndCounted(): { inMemory: OutboxDepth[]; counted: OutboxDepth[] } {
  const sort = (d: OutboxDepth[]) => [...d].sort((x, y) => x.upstream.localeCompare(y.upstream));
  return { inMemory: sort(outbox.depth()), counted: sort(new SqliteOutbox(store.database).depth()) };
}

describe('SqliteOutbox: inspecting, replaying and dropping', () => {
  it('queues() counts each upstream from the tables, queued and dead, including one only in outbox_dead', () => {
    const big = payload(5);
    outbox.enqueue([A, B], big, 5, { nowMillis: 1_000 });
    outbox.enqueue([A], payload(2), 2, { nowMillis: 2_000 });
    killOne(B, 3, 3_000);
    killOne('http://gone.example', 1, 4_000);
    expect(outbox.queues()).toEqual([
      { upstream: A, entries: 2, spans: 7, bytes: big.byteLength + payload(2).byteLength, oldestEnqueuedAtMillis: 1_000, deadLetters: 0, deadSpans: 0 },
      { upstream: B, entries: 1, spans: 5, bytes: big.byteLength, oldestEnqueuedAtMillis: 1_000, deadLetters: 1, deadSpans: 3 },
      { upstream: 'http://gone.example', entries: 0, spans: 0, bytes: 0, oldestEnqueuedAtMillis: null, deadLetters: 1, deadSpans: 1 },
    ]);
  });

  it('findDeadLetter() returns the payload as queued, and null for an unknown id', () => {
    const body = payload(2);
    outbox.enqueue([A], body, 2, { nowMillis: 1_000 });
    outbox.deadLetter(outbox.dueEntries(A, 1, 1_000)[0].id, 422, 'HTTP 422: nope', 1_500);
    const [{ id }] = outbox.deadLetters();
    expect(outbox.findDeadLetter(id)).toEqual({
      id,
      upstream: A,
      signal: 'traces',
      spanCount: 2,
      attempts: 1,
      failedAtMillis: 1_500,
      status: 422,
      response: 'HTTP 422: nope',
      enqueuedAtMillis: 1_000,
      bytes: body.byteLength,
      payload: new Uint8Array(body),
    });
    expect(outbox.findDeadLetter(id + 1)).toBeNull();
  });

  it('replayDead(ids) queues them due now with attempts reset, and the depth totals follow', () => {
    const first = killOne(A, 3, 1_000);
    const second = killOne(A, 4, 2_000);
    const deadPayload = outbox.findDeadLetter(first)!.payload;
    expect(outbox.depth()).toEqual([]);

    const moved = outbox.replayDead([first], 50_000);
    expect(moved).toEqual([{ deadId: first, id: expect.any(Number), upstream: A, signal: 'traces', spanCount: 3, bytes: deadPayload.byteLength }]);
    expect(outbox.findDeadLetter(first)).toBeNull();
    expect(outbox.findDeadLetter(second)).not.toBeNull();
    const [due] = outbox.dueEntries(A, 10, 50_000);
    expect(due).toEqual({ id: moved[0].id, upstream: A, signal: 'traces', payload: deadPayload, spanCount: 3, enqueuedAtMillis: 50_000, attempts: 0 });
    const { inMemory, counted } = depthInMemoryAndCounted();
    expect(inMemory).toEqual(counted);
    expect(inMemory).toEqual([{ upstream: A, entries: 1, spans: 3, bytes: deadPayload.byteLength, oldestEnqueuedAtMillis: 50_000 }]);
  });

  it('replayDead({ upstream }) moves every dead letter of that upstream, oldest failure first, and no other', () => {
    const a1 = killOne(A, 1, 1_000);
    const b1 = killOne(B, 2, 2_000);
    const a2 = killOne(A, 3, 3_000);
    const moved = outbox.replayDead({ upstream: A }, 10_000);
    expect(moved.map((m) => m.deadId)).toEqual([a1, a2]);
    expect(outbox.dueEntries(A, 10, 10_000).map((e) => e.spanCount)).toEqual([1, 3]);
    expect(outbox.listDeadLetters().map((d) => d.id)).toEqual([b1]);
    expect(outbox.replayDead({}, 10_000).map((m) => m.deadId)).toEqual([b1]);
    expect(outbox.deadLetterCounts().size).toBe(0);
    const { inMemory, counted } = depthInMemoryAndCounted();
    expect(inMemory).toEqual(counted);
  });

  it('replayDead with an unknown id moves nothing (one transaction) and names the id', () => {
    const known = killOne(A, 1, 1_000);
    expect(() => outbox.replayDead([known, 9_999])).toThrow(DeadLetterNotFoundError);
    expect(() => outbox.replayDead([known, 9_999])).toThrow('no dead letter with id 9999');
    expect(outbox.findDeadLetter(known)).not.toBeNull();
    expect(outbox.dueEntries(A, 10)).toEqual([]);
    expect(outbox.depth()).toEqual([]);
  });

  it('dropQueue() deletes one upstream queue (and with dead, its dead letters) and reports what went', () => {
    const body = payload(2);
    outbox.enqueue([A, B], body, 2, { nowMillis: 1_000 });
    outbox.enqueue([A], body, 2, { nowMillis: 2_000 });
    killOne(A, 5, 3_000);
    expect(outbox.dropQueue(A)).toEqual({ upstream: A, entries: 2, spans: 4, bytes: 2 * body.byteLength, deadLetters: 0 });
    expect(outbox.deadLetterCounts().get(A)).toBe(1);
    expect(outbox.dropQueue(A, { dead: true })).toEqual({ upstream: A, entries: 0, spans: 0, bytes: 0, deadLetters: 1 });
    expect(outbox.queues().map((q) => q.upstream)).toEqual([B]);
    const { inMemory, counted } = depthInMemoryAndCounted();
    expect(inMemory).toEqual(counted);
    expect(outbox.queuedBytes(A)).toBe(0);
  });
});

describe('SqliteOutbox: every signal in one queue per upstream', () => {
  it('keeps each entry\'s signal through delivery order, the dead letters and a replay; depth and the bound stay per upstream', () => {
    const traces = payload(2);
    const logs = new Uint8Array([10, 0]);
    const metrics = new Uint8Array([10, 0, 10, 0]);
    outbox.enqueue([A], traces, 2, { nowMillis: 1_000 });
    outbox.enqueue([A, B], logs, 5, { signal: 'logs', nowMillis: 2_000 });
    outbox.enqueue([A], metrics, 7, { signal: 'metrics', nowMillis: 3_000 });
    expect(outbox.dueEntries(A, 10, 3_000).map((e) => [e.signal, e.spanCount])).toEqual([
      ['traces', 2],
      ['logs', 5],
      ['metrics', 7],
    ]);
    expect(outbox.queuedBytes(A)).toBe(traces.byteLength + logs.byteLength + metrics.byteLength);
    expect(outbox.depth().find((d) => d.upstream === A)).toMatchObject({ entries: 3, spans: 14 });

    const logsEntry = outbox.dueEntries(B, 1, 3_000)[0];
    outbox.deadLetter(logsEntry.id, 3, 'gRPC INVALID_ARGUMENT (3): bad severity', 4_000);
    const [dead] = outbox.listDeadLetters({ upstream: B });
    expect(dead).toMatchObject({ upstream: B, signal: 'logs', spanCount: 5, status: 3 });
    expect(outbox.findDeadLetter(dead.id)).toMatchObject({ signal: 'logs', payload: logs });
    expect(outbox.signalCounts()).toEqual([
      { upstream: A, signal: 'logs', entries: 1, items: 5, deadLetters: 0, deadItems: 0 },
      { upstream: A, signal: 'metrics', entries: 1, items: 7, deadLetters: 0, deadItems: 0 },
      { upstream: A, signal: 'traces', entries: 1, items: 2, deadLetters: 0, deadItems: 0 },
      { upstream: B, signal: 'logs', entries: 0, items: 0, deadLetters: 1, deadItems: 5 },
    ]);

    const [moved] = outbox.replayDead([dead.id], 5_000);
    expect(moved).toMatchObject({ upstream: B, signal: 'logs', spanCount: 5 });
    expect(outbox.dueEntries(B, 10, 5_000)).toMatchObject([{ id: moved.id, signal: 'logs', payload: logs, attempts: 0 }]);
    const { inMemory, counted } = depthInMemoryAndCounted();
    expect(inMemory).toEqual(counted);
  });

  it('reads a row queued before migration 006 as traces', () => {
    store.database
      .prepare(`INSERT INTO outbox (upstream, payload, span_count, enqueued_at, attempts, next_attempt_at) VALUES (?, ?, 1, 1, 0, 1)`)
      .run(A, Buffer.from(payload(1)));
    expect(outbox.dueEntries(A, 1, 1)[0].signal).toBe('traces');
  });
});
