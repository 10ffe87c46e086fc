/**
 * The PostgreSQL forwarding outbox against a real server this file starts
 * (one new database per test): SQLite's outbox behaviours, and what is new
 * with several replicas delivering from one outbox: claims on a lease, one
 * holder per (upstream, signal) queue, takeover of an expired lease.
 */

import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { OtlpSignal } from '../../src/model/signals.js';
import { encodeTraceRequest } from '../../src/otlp/index.js';
import { OptionValueError } from '../../src/model/option-values.js';
import { DeadLetterNotFoundError } from '../../src/store/outbox.js';
import type { OutboxEntry } from '../../src/store/outbox.js';
import { inTransaction, openPool } from '../../src/store/postgres/connection.js';
import { migratePg } from '../../src/store/postgres/migrations/index.js';
import { PgOutbox } from '../../src/store/postgres/pg-outbox.js';
import { usePostgres } from '../helpers/postgres-hooks.js';
import { closePool } from '../helpers/postgres-server.js';
import { makeRawSpan } from '../helpers/raw-spans.js';

const A = 'http://a.example:4318';
const B = 'http://b.example:4318';
/** Long enough that no test's lease runs out unless it waits for it. */
const LEASE = 60_000;

type Pool = ReturnType<typeof openPool>;

const server = usePostgres();
let url: string;
let pools: Pool[];
let outbox: PgOutbox;

beforeEach(async () => {
  url = await server.createDatabase();
  pools = [];
  outbox = replica('r1');
  await migratePg(pools[0], 'the test database');
});
afterEach(async () => {
  await Promise.all(pools.map(closePool));
});

/** Another collector replica: an outbox on a pool of its own. */
function replica(replicaId: string): PgOutbox {
  const pool = openPool(url);
  pools.push(pool);
  return new PgOutbox(pool, { replicaId });
}

function payload(spans: number): Uint8Array {
  return encodeTraceRequest(Array.from({ length: spans }, () => makeRawSpan()), 'protobuf');
}

/** Queues a request for `upstream` and has the upstream refuse it for good; returns the dead letter's id. */
async function killOne(upstream: string, spans: number, nowMillis: number): Promise<number> {
  await outbox.enqueue([upstream], payload(spans), spans, { nowMillis });
  const entry = (await outbox.claimDue(upstream, 1_000, LEASE, nowMillis)).at(-1)!;
  expect(await outbox.deadLetter(entry.id, 400, `HTTP 400: bad span in a batch of ${spans}`, nowMillis + 10)).toBe(true);
  return (await outbox.listDeadLetters({ upstream, limit: 1 }))[0].id;
}

async function outboxRow(id: number): Promise<{ attempts: number; next_attempt_at: bigint; last_error: string | null } | undefined> {
  const result = await pools[0].query('SELECT attempts, next_attempt_at, last_error FROM outbox WHERE id = $1', [id]);
  return result.rows[0] as { attempts: number; next_attempt_at: bigint; last_error: string | null } | undefined;
}

describe('PgOutbox: queueing, retrying and dead letters', () => {
  it('enqueueIn() commits with the caller\'s transaction and rolls back with it', async () => {
    const body = payload(1);
    await expect(
      inTransaction(pools[0], async (client) => {
        await outbox.enqueueIn(client, [A, B], body, 1, { nowMillis: 1_000 });
        throw new Error('the span write failed');
      }),
    ).rejects.toThrow('the span write failed');
    expect(await outbox.depth()).toEqual([]);

    await inTransaction(pools[0], (client) => outbox.enqueueIn(client, [A, B], body, 1, { nowMillis: 1_000 }));
    expect(await outbox.depth()).toEqual([
      { upstream: A, entries: 1, spans: 1, bytes: body.byteLength, oldestEnqueuedAtMillis: 1_000 },
      { upstream: B, entries: 1, spans: 1, bytes: body.byteLength, oldestEnqueuedAtMillis: 1_000 },
    ]);
    expect(await outbox.queuedBytes(A)).toBe(body.byteLength);
    expect(await outbox.queuedBytes('http://none.example')).toBe(0);
  });

  it('claimDue() hands out due entries oldest first with their payload; delivered() removes them for good', async () => {
    const first = payload(2);
    await outbox.enqueue([A], first, 2, { nowMillis: 1_000 });
    await outbox.enqueue([A], payload(3), 3, { nowMillis: 2_000 });
    expect(await outbox.claimDue(A, 10, LEASE, 500)).toEqual([]);
    const claimed = await outbox.claimDue(A, 10, LEASE, 2_000);
    expect(claimed.map((e) => e.spanCount)).toEqual([2, 3]);
    expect(claimed[0]).toEqual({ id: claimed[0].id, upstream: A, signal: 'traces', payload: new Uint8Array(first), spanCount: 2, enqueuedAtMillis: 1_000, attempts: 0 });
    expect(await outbox.delivered(claimed[0].id)).toBe(true);
    expect(await outbox.delivered(claimed[0].id)).toBe(false);
    expect((await outbox.claimDue(A, 10, LEASE, 2_000)).map((e) => e.id)).toEqual([claimed[1].id]);
    expect(await outbox.nextAttemptAt(A, 2_000)).toBe(2_000);
    expect(await outbox.nextAttemptAt(B)).toBeNull();
  });

  it('retryLater() counts the attempt and holds its queue until it is due; false once the entry was dropped', async () => {
    await outbox.enqueue([A], payload(1), 1, { nowMillis: 1_000 });
    await outbox.enqueue([A], payload(2), 2, { nowMillis: 1_000 });
    const [head] = await outbox.claimDue(A, 10, LEASE, 1_000);
    expect(await outbox.retryLater(head.id, 5_000.4, 'HTTP 503: busy')).toBe(true);
    expect(await outboxRow(head.id)).toEqual({ attempts: 1, next_attempt_at: 5_001n, last_error: 'HTTP 503: busy' });
    // The entry behind it is due, but must not go first.
    expect(await outbox.claimDue(A, 10, LEASE, 3_000)).toEqual([]);
    expect(await outbox.nextAttemptAt(A, 3_000)).toBe(5_001);
    expect((await outbox.claimDue(A, 10, LEASE, 5_001)).map((e) => [e.id, e.attempts])).toEqual([
      [head.id, 1],
      [head.id + 1, 0],
    ]);
    await outbox.dropQueue(A);
    expect(await outbox.retryLater(head.id, 9_000, 'HTTP 503: busy')).toBe(false);
    expect(await outbox.deadLetter(head.id, 400, 'HTTP 400')).toBe(false);
    expect(await outbox.deadLetters()).toEqual([]);
  });
});

describe('PgOutbox: inspecting, replaying and dropping', () => {
  it('queues() counts each upstream from the tables, queued and dead, including one only in outbox_dead', async () => {
    const big = payload(5);
    await outbox.enqueue([A, B], big, 5, { nowMillis: 1_000 });
    await outbox.enqueue([A], payload(2), 2, { nowMillis: 2_000 });
    await killOne(B, 3, 3_000);
    await killOne('http://gone.example', 1, 4_000);
    expect(await outbox.queues()).toEqual([
      { upstream: A, entries: 2, spans: 7, bytes: big.byteLength + payload(2).byteLength, oldestEnqueuedAtMillis: 1_000, deadLetters: 0, deadSpans: 0 },
      { upstream: B, entries: 1, spans: 5, bytes: big.byteLength, oldestEnqueuedAtMillis: 1_000, deadLetters: 1, deadSpans: 3 },
      { upstream: 'http://gone.example', entries: 0, spans: 0, bytes: 0, oldestEnqueuedAtMillis: null, deadLetters: 1, deadSpans: 1 },
    ]);
    expect(await outbox.deadLetterCounts()).toEqual(new Map([[B, 1], ['http://gone.example', 1]]));
  });

  it('findDeadLetter() returns the payload as queued, and null for an unknown id', async () => {
    const body = payload(2);
    await outbox.enqueue([A], body, 2, { nowMillis: 1_000 });
    const [entry] = await outbox.claimDue(A, 1, LEASE, 1_000);
    await outbox.retryLater(entry.id, 1_200, 'HTTP 503');
    await outbox.claimDue(A, 1, LEASE, 1_200);
    expect(await outbox.deadLetter(entry.id, 422, 'HTTP 422: nope', 1_500)).toBe(true);
    const [{ id }] = await outbox.deadLetters();
    expect(await outbox.findDeadLetter(id)).toEqual({
      id,
      upstream: A,
      signal: 'traces',
      spanCount: 2,
      attempts: 2,
      failedAtMillis: 1_500,
      status: 422,
      response: 'HTTP 422: nope',
      enqueuedAtMillis: 1_000,
      bytes: body.byteLength,
      payload: new Uint8Array(body),
    });
    expect(await outbox.findDeadLetter(id + 1)).toBeNull();
  });

  it('replayDead(ids) queues them due now with attempts reset, and the depth follows', async () => {
    const first = await killOne(A, 3, 1_000);
    const second = await killOne(A, 4, 2_000);
    const deadPayload = (await outbox.findDeadLetter(first))!.payload;
    expect(await outbox.depth()).toEqual([]);

    const moved = await outbox.replayDead([first], 50_000);
    expect(moved).toEqual([{ deadId: first, id: expect.any(Number), upstream: A, signal: 'traces', spanCount: 3, bytes: deadPayload.byteLength }]);
    expect(await outbox.findDeadLetter(first)).toBeNull();
    expect(await outbox.findDeadLetter(second)).not.toBeNull();
    const [due] = await outbox.claimDue(A, 10, LEASE, 50_000);
    expect(due).toEqual({ id: moved[0].id, upstream: A, signal: 'traces', payload: deadPayload, spanCount: 3, enqueuedAtMillis: 50_000, attempts: 0 });
    expect(await outbox.depth()).toEqual([{ upstream: A, entries: 1, spans: 3, bytes: deadPayload.byteLength, oldestEnqueuedAtMillis: 50_000 }]);
  });

  it('replayDead({ upstream }) moves every dead letter of that upstream, oldest failure first, and no other', async () => {
    const a1 = await killOne(A, 1, 1_000);
    const b1 = await killOne(B, 2, 2_000);
    const a2 = await killOne(A, 3, 3_000);
    const moved = await outbox.replayDead({ upstream: A }, 10_000);
    expect(moved.map((m) => m.deadId)).toEqual([a1, a2]);
    expect((await outbox.claimDue(A, 10, LEASE, 10_000)).map((e) => e.spanCount)).toEqual([1, 3]);
    expect((await outbox.listDeadLetters()).map((d) => d.id)).toEqual([b1]);
    expect((await outbox.replayDead({}, 10_000)).map((m) => m.deadId)).toEqual([b1]);
    expect((await outbox.deadLetterCounts()).size).toBe(0);
  });

  it('replayDead with an unknown id moves nothing (one transaction) and names the id', async () => {
    const known = await killOne(A, 1, 1_000);
    await expect(outbox.replayDead([known, 9_999])).rejects.toThrow(DeadLetterNotFoundError);
    await expect(outbox.replayDead([known, 9_999])).rejects.toThrow('no dead letter with id 9999');
    expect(await outbox.findDeadLetter(known)).not.toBeNull();
    expect(await outbox.claimDue(A, 10, LEASE)).toEqual([]);
    expect(await outbox.depth()).toEqual([]);
  });

  it('replayDead refuses an id that is not a whole number, naming ids, and moves nothing', async () => {
    const known = await killOne(A, 1, 1_000);
    await expect(outbox.replayDead([known, 1.5])).rejects.toThrow(OptionValueError);
    await expect(outbox.replayDead([known, 1.5])).rejects.toThrow('PgOutbox: ids must be a whole number');
    await expect(outbox.replayDead([Number.NaN])).rejects.toThrow('PgOutbox: ids');
    await expect(outbox.replayDead([-1])).rejects.toThrow(DeadLetterNotFoundError);
    expect(await outbox.findDeadLetter(known)).not.toBeNull();
    expect(await outbox.depth()).toEqual([]);
  });

  it('listDeadLetters() takes a whole-number limit: 0 lists none, a negative one lists all (as SQLite), a fraction is refused', async () => {
    const ids = [await killOne(A, 1, 1_000), await killOne(A, 2, 1_000), await killOne(B, 3, 1_000)];
    expect(await outbox.listDeadLetters({ limit: 0 })).toEqual([]);
    expect((await outbox.listDeadLetters({ limit: -1 })).map((d) => d.id)).toEqual([...ids].reverse());
    expect((await outbox.listDeadLetters({ upstream: A, limit: 1 })).map((d) => d.id)).toEqual([ids[1]]);
    await expect(outbox.listDeadLetters({ limit: 1.5 })).rejects.toThrow('PgOutbox: limit must be a whole number');
    await expect(outbox.deadLetters(Number.NaN)).rejects.toThrow(OptionValueError);
  });

  it('two replicas replaying the same dead letter at once: one moves it, the other is told it is gone', async () => {
    const dead = await killOne(A, 1, 1_000);
    const results = await Promise.allSettled([outbox.replayDead([dead]), replica('r2').replayDead([dead])]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(results.find((r) => r.status === 'rejected')).toMatchObject({ reason: expect.any(DeadLetterNotFoundError) });
    expect((await outbox.depth()).map((d) => d.entries)).toEqual([1]);
  });

  it('dropQueue() deletes one upstream queue (and with dead, its dead letters) and reports what went', async () => {
    const body = payload(2);
    await outbox.enqueue([A, B], body, 2, { nowMillis: 1_000 });
    await outbox.enqueue([A], body, 2, { nowMillis: 2_000 });
    await killOne(A, 5, 3_000);
    expect(await outbox.dropQueue(A)).toEqual({ upstream: A, entries: 2, spans: 4, bytes: 2 * body.byteLength, deadLetters: 0 });
    expect((await outbox.deadLetterCounts()).get(A)).toBe(1);
    expect(await outbox.dropQueue(A, { dead: true })).toEqual({ upstream: A, entries: 0, spans: 0, bytes: 0, deadLetters: 1 });
    expect((await outbox.queues()).map((q) => q.upstream)).toEqual([B]);
    expect(await outbox.queuedBytes(A)).toBe(0);
  });
});

describe('PgOutbox: every signal of an upstream', () => {
  it('keeps each entry\'s signal through claiming, the dead letters and a replay; depth and bytes stay per upstream', async () => {
    const traces = payload(2);
    const logs = new Uint8Array([10, 0]);
    const metrics = new Uint8Array([10, 0, 10, 0]);
    await outbox.enqueue([A], traces, 2, { nowMillis: 1_000 });
    await outbox.enqueue([A, B], logs, 5, { signal: 'logs', nowMillis: 2_000 });
    await outbox.enqueue([A], metrics, 7, { signal: 'metrics', nowMillis: 3_000 });
    expect((await outbox.claimDue(A, 10, LEASE, 3_000)).map((e) => [e.signal, e.spanCount])).toEqual([
      ['traces', 2],
      ['logs', 5],
      ['metrics', 7],
    ]);
    expect(await outbox.queuedBytes(A)).toBe(traces.byteLength + logs.byteLength + metrics.byteLength);
    expect((await outbox.depth()).find((d) => d.upstream === A)).toMatchObject({ entries: 3, spans: 14 });

    const [logsEntry] = await outbox.claimDue(B, 1, LEASE, 3_000);
    expect(await outbox.deadLetter(logsEntry.id, 3, 'gRPC INVALID_ARGUMENT (3): bad severity', 4_000)).toBe(true);
    const [dead] = await outbox.listDeadLetters({ upstream: B });
    expect(dead).toMatchObject({ upstream: B, signal: 'logs', spanCount: 5, status: 3 });
    expect(await outbox.findDeadLetter(dead.id)).toMatchObject({ signal: 'logs', payload: logs });
    expect(await outbox.signalCounts()).toEqual([
      { upstream: A, signal: 'logs', entries: 1, items: 5, deadLetters: 0, deadItems: 0 },
      { upstream: A, signal: 'metrics', entries: 1, items: 7, deadLetters: 0, deadItems: 0 },
      { upstream: A, signal: 'traces', entries: 1, items: 2, deadLetters: 0, deadItems: 0 },
      { upstream: B, signal: 'logs', entries: 0, items: 0, deadLetters: 1, deadItems: 5 },
    ]);

    const [moved] = await outbox.replayDead([dead.id], 5_000);
    expect(moved).toMatchObject({ upstream: B, signal: 'logs', spanCount: 5 });
    expect(await outbox.claimDue(B, 10, LEASE, 5_000)).toMatchObject([{ id: moved.id, signal: 'logs', payload: logs, attempts: 0 }]);
  });

  it('refuses a signal that is not traces, logs or metrics, and a limit or lease that is not a positive integer', async () => {
    await expect(outbox.enqueue([A], payload(1), 1, { signal: 'profiles' as OtlpSignal })).rejects.toThrow(/outbox_signal_check/);
    await expect(outbox.claimDue(A, 0, LEASE)).rejects.toThrow('PgOutbox: limit');
    await expect(outbox.claimDue(A, 1, 1.5)).rejects.toThrow('PgOutbox: leaseMillis');
  });
});

describe('PgOutbox: several replicas on one outbox', () => {
  it('holds a queue for one replica at a time: the next entry waits while its predecessor is claimed elsewhere', async () => {
    const r2 = replica('r2');
    await outbox.enqueue([A], payload(1), 1, { nowMillis: 1_000 });
    await outbox.enqueue([A], payload(2), 2, { signal: 'logs', nowMillis: 1_000 });
    await outbox.enqueue([A], payload(3), 3, { nowMillis: 1_000 });
    const [first] = await outbox.claimDue(A, 1, LEASE, 2_000);
    expect(first).toMatchObject({ signal: 'traces', spanCount: 1 });
    // The traces queue is r1's; its second entry is due but not r2's to send. The logs queue is free.
    expect((await r2.claimDue(A, 10, LEASE, 2_000)).map((e) => [e.signal, e.spanCount])).toEqual([['logs', 2]]);
    expect(await r2.claimDue(A, 10, LEASE, 2_000)).toMatchObject([{ signal: 'logs' }]);
    // r1 claims again: its own queue (lease renewed, the next entry too), not r2's.
    expect((await outbox.claimDue(A, 10, LEASE, 2_000)).map((e) => [e.signal, e.spanCount])).toEqual([
      ['traces', 1],
      ['traces', 3],
    ]);
    // A third replica may claim nothing of A before one of those leases ends.
    const r3 = replica('r3');
    expect(await r3.claimDue(A, 10, LEASE, 2_000)).toEqual([]);
    expect(await r3.nextAttemptAt(A, 2_000)).toBeGreaterThan(2_000 + LEASE - 5_000);
    // A replica that delivered everything it held leaves the queue free.
    await outbox.delivered(first.id);
    await outbox.delivered(first.id + 2);
    expect(await r2.claimDue(A, 10, LEASE, 2_000)).toMatchObject([{ signal: 'logs' }]);
    await outbox.enqueue([A], payload(4), 4, { nowMillis: 2_000 });
    expect(await r2.claimDue(A, 10, LEASE, 2_000)).toMatchObject([{ signal: 'logs' }, { signal: 'traces', spanCount: 4 }]);
  });

  it('a retried entry frees its queue: when it is due, any replica takes it, before the entries behind it', async () => {
    const r2 = replica('r2');
    for (const n of [1, 2, 3]) await outbox.enqueue([A], payload(n), n, { nowMillis: 1_000 });
    const claimed = await outbox.claimDue(A, 10, LEASE, 1_000);
    expect(claimed).toHaveLength(3);
    expect(await outbox.retryLater(claimed[0].id, 9_000, 'HTTP 429')).toBe(true);
    expect(await r2.claimDue(A, 10, LEASE, 8_999)).toEqual([]);
    expect(await r2.nextAttemptAt(A, 8_999)).toBe(9_000);
    expect((await r2.claimDue(A, 10, LEASE, 9_000)).map((e) => [e.id, e.attempts])).toEqual([
      [claimed[0].id, 1],
      [claimed[1].id, 0],
      [claimed[2].id, 0],
    ]);
    expect(await outbox.claimDue(A, 10, LEASE, 9_000)).toEqual([]);
  });

  it('takes over the claims of a replica whose lease expired, and refuses that replica\'s retryLater and deadLetter', async () => {
    const r2 = replica('r2');
    await outbox.enqueue([A], payload(1), 1, { nowMillis: 1_000 });
    await outbox.enqueue([A], payload(2), 2, { nowMillis: 1_000 });
    const [held] = await outbox.claimDue(A, 1, LEASE, 1_000);
    expect(await r2.claimDue(A, 10, LEASE, 1_000)).toEqual([]);
    const wakeAt = await r2.nextAttemptAt(A, 1_000);
    expect(wakeAt).toBeGreaterThan(1_000 + LEASE - 5_000);
    expect(wakeAt).toBeLessThanOrEqual(1_000 + LEASE);

    // r1 "disappeared": its lease runs out (on the database's clock; made so
    // here, as no wait is sure to be long enough on a busy machine) ...
    await pools[0].query("UPDATE outbox SET claimed_until = 0 WHERE claimed_by = 'r1'");
    // ... and r2 takes the queue from its head.
    const taken = await r2.claimDue(A, 10, LEASE, 1_000);
    expect(taken.map((e) => e.id)).toEqual([held.id, held.id + 1]);
    expect(await outbox.retryLater(held.id, 5_000, 'HTTP 503: late')).toBe(false);
    expect(await outbox.deadLetter(held.id, 400, 'HTTP 400: late')).toBe(false);
    expect(await outboxRow(held.id)).toEqual({ attempts: 0, next_attempt_at: 1_000n, last_error: null });
    expect(await outbox.deadLetters()).toEqual([]);
    expect(await outbox.claimDue(A, 10, LEASE, 1_000)).toEqual([]);
    // The new holder acts; a late delivered() of the old one still removes what the upstream has, but says it was no longer its.
    expect(await r2.retryLater(held.id, 1_000, 'HTTP 503')).toBe(true);
    expect((await r2.claimDue(A, 1, LEASE, 1_000))[0]).toMatchObject({ id: held.id, attempts: 1 });
    expect(await outbox.delivered(held.id)).toBe(false);
    expect(await r2.deadLetter(held.id, 400, 'HTTP 400')).toBe(false);
  });

  it('skips, without waiting, a queue that another replica is claiming at this instant', async () => {
    await outbox.enqueue([A], payload(1), 1, { nowMillis: 1_000 });
    await outbox.enqueue([A], payload(2), 2, { signal: 'logs', nowMillis: 1_000 });
    const claiming = await pools[0].connect();
    try {
      await claiming.query('BEGIN');
      await claiming.query(`SELECT pg_advisory_xact_lock(3, hashtext($1 || E'\\n' || 'traces'))`, [A]);
      expect((await outbox.claimDue(A, 10, LEASE, 1_000)).map((e) => e.signal)).toEqual(['logs']);
      await claiming.query('COMMIT');
    } finally {
      claiming.release();
    }
    expect((await outbox.claimDue(A, 10, LEASE, 1_000)).map((e) => e.signal)).toEqual(['traces', 'logs']);
  });

  it('releaseClaims() on a graceful stop lets another replica take the queue without waiting for the lease', async () => {
    const r2 = replica('r2');
    await outbox.enqueue([A], payload(1), 1, { nowMillis: 1_000 });
    await outbox.claimDue(A, 10, LEASE, 1_000);
    expect(await r2.claimDue(A, 10, LEASE, 1_000)).toEqual([]);
    expect(await outbox.releaseClaims()).toBe(1);
    expect(await r2.claimDue(A, 10, LEASE, 1_000)).toHaveLength(1);
    expect(await outbox.retryLater((await r2.claimDue(A, 1, LEASE, 1_000))[0].id, 2_000, 'x')).toBe(false);
  });
});

/** A fixed pseudo-random sequence, so a failure can be replayed. */
function randomOf(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
}

interface Send {
  replica: string;
  id: number;
  queue: string;
  outcome: 'delivered' | 'retry' | 'dead';
  writer: number;
  seq: number;
}

const QUEUES: ReadonlyArray<[string, OtlpSignal]> = [
  [A, 'traces'],
  [A, 'logs'],
  [A, 'metrics'],
  [B, 'traces'],
  [B, 'logs'],
];

function tagged(writer: number, seq: number): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ writer, seq }));
}

function tagOf(entry: OutboxEntry): { writer: number; seq: number } {
  return JSON.parse(new TextDecoder().decode(entry.payload)) as { writer: number; seq: number };
}

/**
 * A replica's forwarder, reduced: claims a few due entries of each upstream,
 * "sends" them in order (logged), and records each outcome, stopping a
 * queue's batch at its first failure; until `finished()` says so.
 */
async function deliverUntil(box: PgOutbox, random: () => number, sends: Send[], finished: () => Promise<boolean>): Promise<void> {
  while (!(await finished())) {
    let claimedAny = false;
    for (const upstream of [A, B]) {
      const batch = await box.claimDue(upstream, 1 + Math.floor(random() * 4), LEASE);
      claimedAny ||= batch.length > 0;
      const failed = new Set<string>();
      for (const entry of batch) {
        if (failed.has(entry.signal)) continue;
        const roll = random();
        const outcome = roll < 0.8 ? 'delivered' : roll < 0.93 ? 'retry' : 'dead';
        sends.push({ replica: box.replicaId, id: entry.id, queue: `${upstream} ${entry.signal}`, outcome, ...tagOf(entry) });
        if (random() < 0.3) await sleep(1);
        if (outcome === 'delivered') expect(await box.delivered(entry.id)).toBe(true);
        else if (outcome === 'dead') expect(await box.deadLetter(entry.id, 400, 'HTTP 400')).toBe(true);
        else {
          expect(await box.retryLater(entry.id, Date.now() + 2, 'HTTP 503')).toBe(true);
          failed.add(entry.signal);
        }
      }
    }
    if (!claimedAny) await sleep(2);
  }
}

/** Every entry reached a final outcome exactly once, and no entry was ever sent again after a final outcome. */
function expectExactlyOnce(sends: readonly Send[], entries: number): void {
  const finals = sends.filter((s) => s.outcome !== 'retry');
  expect(finals).toHaveLength(entries);
  expect(new Set(finals.map((s) => s.id)).size).toBe(entries);
  const done = new Set<number>();
  for (const send of sends) {
    expect(done.has(send.id), `entry ${send.id} sent after its final outcome`).toBe(false);
    if (send.outcome !== 'retry') done.add(send.id);
  }
}

describe('PgOutbox: replicas delivering concurrently', () => {
  it('three replicas on separate pools deliver every entry exactly once, in id order per (upstream, signal)', async () => {
    const replicas = [outbox, replica('r2'), replica('r3')];
    const total = 150;
    for (let i = 0; i < total; i++) {
      const [upstream, signal] = QUEUES[i % QUEUES.length];
      await outbox.enqueue([upstream], tagged(0, i), 1, { signal, nowMillis: 1_000 });
    }
    // A fourth replica claims and disappears before sending: its queues are taken over when its lease ends.
    const crashed = replica('r4');
    const abandoned = await crashed.claimDue(A, 3, 300, 1_000);
    expect(abandoned).toHaveLength(3);

    const sends: Send[] = [];
    const finished = async () => (await outbox.depth()).length === 0;
    await Promise.all(replicas.map((box, i) => deliverUntil(box, randomOf(i + 1), sends, finished)));

    expectExactlyOnce(sends, total);
    for (const [upstream, signal] of QUEUES) {
      const ids = sends.filter((s) => s.queue === `${upstream} ${signal}`).map((s) => s.id);
      expect(ids, `${upstream} ${signal}`).toEqual([...ids].sort((x, y) => x - y));
    }
    expect(new Set(sends.map((s) => s.replica)).size).toBeGreaterThan(1);
    // r4's entries were taken over: each reached its final outcome by one of the replicas still running.
    for (const entry of abandoned) {
      const finals = sends.filter((s) => s.id === entry.id && s.outcome !== 'retry');
      expect(finals.map((s) => s.replica), `abandoned entry ${entry.id}`).toEqual([expect.stringMatching(/^r[123]$/)]);
    }
    expect((await outbox.queues()).reduce((n, q) => n + q.deadLetters, 0)).toBe(sends.filter((s) => s.outcome === 'dead').length);
  });

  it('while replicas enqueue and deliver at once, each writer\'s entries of a queue go in the order it committed them', async () => {
    const replicas = [outbox, replica('r2'), replica('r3')];
    const perWriter = 40;
    let writing = replicas.length;
    const write = async (box: PgOutbox, writer: number, random: () => number): Promise<void> => {
      for (let seq = 0; seq < perWriter; seq++) {
        const [upstream, signal] = QUEUES[Math.floor(random() * QUEUES.length)];
        await box.enqueue([upstream], tagged(writer, seq), 1, { signal });
        if (random() < 0.3) await sleep(1);
      }
      writing--;
    };
    const sends: Send[] = [];
    const finished = async () => writing === 0 && (await outbox.depth()).length === 0;
    await Promise.all([
      ...replicas.map((box, i) => write(box, i, randomOf(100 + i))),
      ...replicas.map((box, i) => deliverUntil(box, randomOf(i + 1), sends, finished)),
    ]);

    expectExactlyOnce(sends, perWriter * replicas.length);
    for (const [upstream, signal] of QUEUES) {
      for (let writer = 0; writer < replicas.length; writer++) {
        const seqs = sends.filter((s) => s.queue === `${upstream} ${signal}` && s.writer === writer).map((s) => s.seq);
        expect(seqs, `${upstream} ${signal}, writer ${writer}`).toEqual([...seqs].sort((x, y) => x - y));
      }
    }
  });
});
