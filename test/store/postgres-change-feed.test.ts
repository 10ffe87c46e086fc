/**
 * The PostgreSQL change feed (issue 18) against a real server: the SQLite
 * feed's semantics (test/store/change-feed.test.ts), and what several
 * collector replicas sharing one database need: ids in commit order across
 * replicas (a reader resuming after its last id misses nothing and repeats
 * nothing), a wake-up from another replica's commit, and retention.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, it, vi } from 'vitest';
import type { ChangeEvent } from '../../src/model/live-event.js';
import { PgChangeLog } from '../../src/store/postgres/change-log.js';
import { openPool } from '../../src/store/postgres/connection.js';
import { PostgresTraceStore } from '../../src/store/postgres/index.js';
import { PgSessionQueries } from '../../src/store/postgres/session-queries.js';
import { SqliteTraceStore } from '../../src/store/sqlite/index.js';
import type { PostgresTraceStoreOptions } from '../../src/store/postgres/postgres-trace-store.js';
import { openedStores, usePostgres, waitingOnLock } from '../helpers/postgres-hooks.js';
import { emptyLog } from '../helpers/raw-logs.js';
import { BASE_TIME_UNIX_NANO, MILLI, makeLlmRecord, makeRecord, newTraceId, opened } from '../helpers/records.js';

const kinds = (events: ChangeEvent[]) => events.map((e) => e.kind);
const stepKinds = (events: ChangeEvent[]) =>
  events.flatMap((e) => (e.kind === 'span.started' || e.kind === 'span.ended' ? [`${e.kind} ${e.step.name}`] : []));

const server = usePostgres();
const stores = openedStores();

async function open(url?: string, options: Partial<PostgresTraceStoreOptions> = {}): Promise<PostgresTraceStore> {
  return stores.open(url ?? (await server.createDatabase()), options);
}

describe('PostgreSQL change feed', () => {
  it('appends a start, an end and the session state, with increasing ids', async () => {
    const store = await open();
    expect(await store.latestChangeSeq()).toBe(0);
    const record = makeLlmRecord({ sessionId: 's1', name: 'plan' });
    await store.write([opened(record)]);
    await store.write([record]);
    const events = await store.readChanges(0, { limit: 100 });
    expect(kinds(events)).toEqual(['span.started', 'session.updated', 'span.ended', 'session.updated']);
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    expect(await store.latestChangeSeq()).toBe(4);
    expect(events[0]).toMatchObject({ sessionId: 's1', step: { spanId: record.spanId, open: true, endTimeUnixNano: null } });
    expect(events[1]).toMatchObject({ session: { sessionId: 's1', status: 'running', openCount: 1 } });
    expect(events[2]).toMatchObject({
      kind: 'span.ended',
      step: { open: false, durationNanos: (100n * MILLI).toString(), tokens: { input: 100, output: 20 }, costUsd: 0.25 },
    });
    expect(events[3]).toMatchObject({ session: { status: 'completed', spanCount: 1, costUsd: 0.25 } });
    expect(events[0].atUnixMillis).toBeGreaterThan(0);
    expect((await store.readChanges(2, { limit: 100 })).map((e) => e.seq)).toEqual([3, 4]);
    expect((await store.readChanges(2, { limit: 1 })).map((e) => e.seq)).toEqual([3]);
    expect(await store.readChanges(4, { limit: 100 })).toEqual([]);
  });

  it('orders a batch by what happened, and resumes between the two events of a completed step', async () => {
    const store = await open();
    const traceId = newTraceId();
    const parent = makeRecord({ traceId, sessionId: 'batch', name: 'parent', stepType: 'agent', endTimeUnixNano: BASE_TIME_UNIX_NANO + 30n * MILLI });
    const child = makeRecord({
      traceId,
      parentSpanId: parent.spanId,
      name: 'child',
      startTimeUnixNano: BASE_TIME_UNIX_NANO + 5n * MILLI,
      endTimeUnixNano: BASE_TIME_UNIX_NANO + 25n * MILLI,
    });
    await store.write([opened(parent), opened(child), child, parent]);
    const events = await store.readChanges(0, { limit: 100 });
    expect(stepKinds(events)).toEqual(['span.started parent', 'span.started child', 'span.ended child', 'span.ended parent']);
    expect(kinds(events).slice(-1)).toEqual(['session.updated']);
    expect((await store.readChanges(2, { limit: 2 })).map((e) => e.seq)).toEqual([3, 4]);
    const started = events[0];
    if (started.kind !== 'span.started') throw new Error('unreachable');
    expect(started.step).toMatchObject({ open: true, endTimeUnixNano: null, tokens: {}, costUsd: null });
  });

  it('adds no step event for a duplicate delivery or a late open record, and none for internal-only sessions', async () => {
    const store = await open();
    const record = makeRecord({ sessionId: 'dup', name: 'once' });
    await store.write([record]);
    const before = await store.latestChangeSeq();
    await store.write([record]);
    await store.write([opened(record)]);
    expect(stepKinds(await store.readChanges(before, { limit: 100 }))).toEqual([]);
    const plumbing = await store.latestChangeSeq();
    await store.write([makeRecord({ sessionId: 'plumbing', name: 'hidden', internal: true })]);
    expect(await store.readChanges(plumbing, { limit: 100 })).toEqual([]);
  });

  it('filters by session without losing order', async () => {
    const store = await open();
    for (let i = 0; i < 3; i++) {
      await store.write([makeRecord({ sessionId: 'a', name: `a${i}` }), makeRecord({ sessionId: 'b', name: `b${i}` })]);
    }
    const onlyA = await store.readChanges(0, { sessionId: 'a', limit: 100 });
    expect(onlyA.every((e) => e.sessionId === 'a')).toBe(true);
    expect(stepKinds(onlyA)).toEqual(['a0', 'a1', 'a2'].flatMap((n) => [`span.started ${n}`, `span.ended ${n}`]));
    const seqs = onlyA.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    expect((await store.readChanges(seqs[2], { sessionId: 'a', limit: 1 }))[0].seq).toBe(seqs[3]);
    expect(await store.readChanges(0, { sessionId: 'nobody', limit: 100 })).toEqual([]);
  });

  it('says a session is updated when a late session key moves its steps', async () => {
    const store = await open();
    const traceId = newTraceId();
    await store.write([makeRecord({ traceId, name: 'child' })]);
    const before = await store.latestChangeSeq();
    await store.write([makeRecord({ traceId, sessionId: 'keyed', name: 'root' })]);
    const updates = (await store.readChanges(before, { limit: 100 })).filter((e) => e.kind === 'session.updated');
    expect(updates.map((e) => e.sessionId)).toEqual(['keyed']);
    expect(updates[0]).toMatchObject({ session: { spanCount: 2 } });
  });

  it('builds a step from its span when read, and leaves out steps whose span is gone', async () => {
    const store = await open();
    await store.write([makeLlmRecord({ sessionId: 'keep', name: 'kept' })]);
    await store.write([makeLlmRecord({ sessionId: 'gone', name: 'gone' })]);
    const before = await store.readChanges(0, { limit: 100 });
    expect(stepKinds(before)).toEqual(['span.started kept', 'span.ended kept', 'span.started gone', 'span.ended gone']);
    await store.deleteSession('gone');
    const after = await store.readChanges(0, { limit: 100 });
    expect(stepKinds(after)).toEqual(['span.started kept', 'span.ended kept']);
    // A session update is a snapshot of its moment: it stays, though the session is gone.
    expect(after.filter((e) => e.kind === 'session.updated').map((e) => e.sessionId)).toEqual(['keep', 'gone']);
  });

  it('says which steps were interrupted when a store closes with its own steps still open', async () => {
    const url = await server.createDatabase();
    const writer = await PostgresTraceStore.open({ url });
    const record = makeRecord({ sessionId: 'closing', name: 'stuck' });
    await writer.write([opened(record)]);
    await writer.close();
    const reader = await open(url, { readonly: true });
    const events = await reader.readChanges(0, { limit: 100 });
    expect(kinds(events)).toEqual(['span.started', 'session.updated', 'session.interrupted', 'session.updated']);
    expect(events[2]).toMatchObject({ sessionId: 'closing', steps: [{ traceId: record.traceId, spanId: record.spanId }] });
    expect(events[3]).toMatchObject({ session: { status: 'interrupted', interruptedCount: 1 } });
  });

  it('appends a budget crossing after the session update of the write that caused it', async () => {
    const store = await open();
    const call = makeLlmRecord({ sessionId: 'spender', name: 'call' });
    const crossings = await store.writeWithBudgets([call], { session: { maxTokens: 100 } });
    expect(crossings.map((c) => c.level)).toEqual(['warning', 'exceeded']);
    const events = await store.readChanges(0, { limit: 100 });
    expect(kinds(events)).toEqual(['span.started', 'span.ended', 'session.updated', 'budget', 'budget']);
    expect(events[4]).toMatchObject({
      sessionId: 'spender',
      budget: { scope: 'session', key: 'spender', metric: 'tokens', level: 'exceeded', limit: 100, used: 120, spanId: call.spanId },
    });
  });

  it('appends a log event for a log record stored with a session', async () => {
    const store = await open();
    await store.write([makeRecord({ sessionId: 'logged', name: 'step' })]);
    const before = await store.latestChangeSeq();
    await store.writeLogs([emptyLog({ eventName: 'user_prompt', body: 'hello', attributes: { 'session.id': 'logged' } })]);
    const events = await store.readChanges(before, { limit: 100 });
    expect(kinds(events)).toEqual(['log']);
    expect(events[0]).toMatchObject({ seq: before + 1, sessionId: 'logged', kind: 'log', log: { eventName: 'user_prompt' } });
  });

  it('appends a log event for a record that takes its trace session from a later span, in the order SQLite gives', async () => {
    const traceId = newTraceId();
    const log = emptyLog({ traceId, eventName: 'early' });
    const span = makeRecord({ traceId, sessionId: 'K', name: 'step' });
    const feedOf = (events: ChangeEvent[]) => events.map((e) => `${e.kind}:${e.sessionId}`);

    const store = await open();
    await store.writeLogs([log]);
    await store.write([span]);
    const events = await store.readChanges(0, { limit: 100 });
    expect(feedOf(events)).toContain('log:K');
    expect(events.find((e) => e.kind === 'log')).toMatchObject({ log: { eventName: 'early', sessionId: 'K' } });

    const dir = mkdtempSync(join(tmpdir(), 'skein-pg-feed-'));
    const sqlite = new SqliteTraceStore({ path: join(dir, 'feed.db') });
    try {
      sqlite.writeLogsSync([log]);
      sqlite.writeSync([span]);
      expect(feedOf(events)).toEqual(feedOf(sqlite.readChanges(0, { limit: 100 })));
    } finally {
      sqlite.closeSync();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps about maxEvents, never splitting a transaction, and reports what it trimmed', async () => {
    const store = await open(undefined, { changeFeed: { maxEvents: 6 } });
    // 3 events per write: start, end, session.
    for (let i = 0; i < 5; i++) await store.write([makeRecord({ sessionId: 'many', name: `s${i}` })]);
    expect(await store.changeFeedState()).toEqual({ latestSeq: 15, trimmedThroughSeq: 9 });
    expect((await store.readChanges(0, { limit: 100 })).map((e) => e.seq)).toEqual([10, 11, 12, 13, 14, 15]);

    const tight = await open(undefined, { changeFeed: { maxEvents: 5 } });
    for (let i = 0; i < 6; i++) await tight.write([makeRecord({ sessionId: 'many', name: `s${i}` })]);
    // A cut after 13 would split s4's row (13..15): the whole row is kept.
    expect(await tight.changeFeedState()).toEqual({ latestSeq: 18, trimmedThroughSeq: 12 });
    const kept = await tight.readChanges(0, { limit: 100 });
    expect(kept.map((e) => e.seq)).toEqual([13, 14, 15, 16, 17, 18]);
    expect(kept[0]).toMatchObject({ kind: 'span.started', step: { name: 's4' } });
  });

  it('trims by age and never reuses an id, even once every event is gone', async () => {
    const store = await open(undefined, { changeFeed: { maxAgeMillis: 0 } });
    await store.write([makeRecord({ sessionId: 'old' })]);
    expect(await store.latestChangeSeq()).toBe(3);
    const start = Date.now();
    while (Date.now() === start) await new Promise((r) => setTimeout(r, 1));
    await store.write([makeRecord({ sessionId: 'new' })]);
    const events = await store.readChanges(0, { limit: 100 });
    expect(events.map((e) => e.seq)).toEqual([4, 5, 6]);
    expect(await store.changeFeedState()).toEqual({ trimmedThroughSeq: 3, latestSeq: 6 });
  });

  it("times events and trims by age with the database server's clock, not a collector's skewed one", async () => {
    const url = await server.createDatabase();
    const store = await open(url, { changeFeed: { maxAgeMillis: 60_000 } });
    const serverNow = async (): Promise<number> => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        return Number((await client.query('SELECT (extract(epoch FROM clock_timestamp()) * 1000)::int8 AS ms')).rows[0].ms);
      } finally {
        await client.end();
      }
    };
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      // This collector's clock is an hour ahead: by it, the first write is already past the feed's max age.
      vi.setSystemTime(Date.now() + 3_600_000);
      await store.write([makeRecord({ sessionId: 'first' })]);
      vi.setSystemTime(Date.now() + 3_600_000);
      await store.write([makeRecord({ sessionId: 'second' })]);
    } finally {
      vi.useRealTimers();
    }
    const events = await store.readChanges(0, { limit: 100 });
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Math.abs(events[0].atUnixMillis - (await serverNow()))).toBeLessThan(60_000);
  });

  it('gives a reader of a third replica every event of two replicas writing at once, in commit order, across resumes', async () => {
    const url = await server.createDatabase();
    const replicaA = await open(url, { poolSize: 6 });
    const replicaB = await open(url, { poolSize: 6 });
    const reader = await open(url, { readonly: true });
    const WRITERS_PER_REPLICA = 5;
    const BATCHES = 12;
    let writing = true;
    const writeLoop = async (store: PostgresTraceStore, name: string) => {
      for (let batch = 0; batch < BATCHES; batch++) {
        const traceId = newTraceId();
        // Several sessions per batch, and sessions shared between writers: their locks make writers wait on each other.
        const records = [0, 1, 2].map((i) =>
          makeRecord({ traceId, sessionId: `s${(batch + i) % 4}`, name: `${name}-${batch}-${i}` }),
        );
        await store.write(records);
      }
    };
    const writers = [replicaA, replicaB].flatMap((store, r) =>
      Array.from({ length: WRITERS_PER_REPLICA }, (_, w) => writeLoop(store, `r${r}w${w}`)),
    );
    const done = Promise.all(writers).finally(() => {
      writing = false;
    });

    // Last-Event-ID style: every read resumes after the last id received, with small, varying pages.
    const received: ChangeEvent[] = [];
    let last = 0;
    let reads = 0;
    for (;;) {
      const stillWriting = writing;
      const page = await reader.readChanges(last, { limit: 1 + (reads++ % 7) });
      received.push(...page);
      if (page.length > 0) last = page[page.length - 1].seq;
      else if (!stillWriting) break;
    }
    await done;
    const seqs = received.map((e) => e.seq);
    // No gap, no duplicate: exactly 1..latest, in order.
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
    expect(last).toBe(await reader.latestChangeSeq());
    const steps = stepKinds(received);
    expect(steps).toHaveLength(2 * 2 * WRITERS_PER_REPLICA * BATCHES * 3);
    expect(new Set(steps).size).toBe(steps.length);
    // What was read piece by piece while the writers ran is what the feed holds now.
    expect(await reader.readChanges(0, { limit: 10_000 })).toEqual(received);
    expect(reads).toBeGreaterThan(10);
  });

  it('holds a later append until an earlier one commits: no reader sees ids past an uncommitted one', async () => {
    const url = await server.createDatabase();
    const replicaB = await open(url);
    const reader = await open(url, { readonly: true });
    await replicaB.write([makeRecord({ sessionId: 'a', name: 'first' })]);
    const before = await reader.latestChangeSeq();
    // Replica A's write transaction, held open right after its append.
    const pool = openPool(url);
    const feedA = new PgChangeLog(pool, url, new PgSessionQueries(pool));
    const clientA = await pool.connect();
    try {
      await clientA.query('BEGIN');
      await feedA.append(clientA, { sessions: ['a'] });
      let bDone = false;
      const writeB = replicaB.write([makeRecord({ sessionId: 'b', name: 'second' })]).then(() => {
        bDone = true;
      });
      // B is seen waiting on a lock A holds (not merely not started yet) ...
      await waitingOnLock(pool, 'replica B');
      // ... and has not finished.
      expect(bDone).toBe(false);
      expect(await reader.latestChangeSeq()).toBe(before);
      await clientA.query('COMMIT');
      await writeB;
    } finally {
      clientA.release();
      await feedA.close();
      await pool.end();
    }
    const events = await reader.readChanges(before, { limit: 100 });
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: events.length }, (_, i) => before + 1 + i));
    expect(events[0]).toMatchObject({ kind: 'session.updated', sessionId: 'a' });
    expect(stepKinds(events.slice(1))).toEqual(['span.started second', 'span.ended second']);
  });

  it('wakes a reader when another replica commits (LISTEN/NOTIFY, with the poll far away)', async () => {
    const url = await server.createDatabase();
    const writer = await open(url);
    const reader = await open(url, { readonly: true, changeFeed: { pollIntervalMillis: 60_000 } });
    let wakes = 0;
    const woken = new Promise<void>((resolve) => {
      const stop = reader.onCommit(() => {
        wakes++;
        stop();
        resolve();
      });
    });
    // The LISTEN connection opens asynchronously: commit until one wakes the reader (the poll is a minute away).
    let writes = 0;
    let isWoken = false;
    void woken.then(() => {
      isWoken = true;
    });
    while (!isWoken && writes < 20) {
      await writer.write([makeRecord({ sessionId: 'wake' })]);
      writes++;
      await Promise.race([woken, new Promise((r) => setTimeout(r, 250))]);
    }
    expect(isWoken).toBe(true);
    expect(wakes).toBe(1);
    expect(stepKinds(await reader.readChanges(0, { limit: 100 }))).toHaveLength(2 * writes);
  });

  it('wakes a reader by polling when notifications do not arrive', async () => {
    const url = await server.createDatabase();
    await open(url);
    const reader = await open(url, { readonly: true, changeFeed: { pollIntervalMillis: 50 } });
    const woken = new Promise<void>((resolve) => {
      const stop = reader.onCommit(() => {
        stop();
        resolve();
      });
    });
    await new Promise((r) => setTimeout(r, 200));
    // A commit that moves the feed without a NOTIFY: only the poll can see it.
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query('UPDATE change_feed SET latest_seq = latest_seq + 1 WHERE id = 0');
    } finally {
      await client.end();
    }
    await woken;
  });
});
