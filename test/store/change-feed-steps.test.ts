/**
 * The change feed's step rows since migration 009: one row per session per
 * commit listing its steps by span rowid, still one id per event.
 */

import { readFileSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { ChangeEvent } from '../../src/model/live-event.js';
import { ChangeHub } from '../../src/server/live-stream/change-hub.js';
import type { SqliteTraceStore } from '../../src/store/sqlite/index.js';
import { useStoreFile } from '../helpers/store-files.js';
import { decodeSteps, encodeSteps } from '../../src/store/sqlite/change-steps.js';
import { BASE_TIME_UNIX_NANO, MILLI, makeLlmRecord, makeRecord, newTraceId } from '../helpers/records.js';

const FIXTURES = new URL('../fixtures/store/', import.meta.url);

const stepNames = (events: ChangeEvent[]) =>
  events.flatMap((e) => (e.kind === 'span.started' || e.kind === 'span.ended' ? [`${e.kind} ${e.step.name}`] : []));

describe('change feed step rows', () => {
  const { open, path: feedPath } = useStoreFile('skein-feed-steps-');

  /** Two sessions of three steps each, their times interleaved, in one commit. */
  function writeTwoSessions(store: SqliteTraceStore): void {
    const records = [];
    for (let i = 0; i < 3; i++) {
      for (const session of ['a', 'b']) {
        const start = BASE_TIME_UNIX_NANO + BigInt(i * 10 + (session === 'a' ? 0 : 5)) * MILLI;
        records.push(makeRecord({ sessionId: session, name: `${session}${i}`, startTimeUnixNano: start, endTimeUnixNano: start + 3n * MILLI }));
      }
    }
    store.writeSync(records);
  }

  it('writes one row per session per commit, its events numbered together, each session in order', () => {
    const store = open();
    writeTwoSessions(store);
    const rows = store.database
      .prepare('SELECT kind, session_id AS sessionId, first_seq AS firstSeq, seq FROM changes ORDER BY seq')
      .all();
    expect(rows).toEqual([
      { kind: 'steps', sessionId: 'a', firstSeq: 1, seq: 6 },
      { kind: 'steps', sessionId: 'b', firstSeq: 7, seq: 12 },
      { kind: 'session.updated', sessionId: 'a', firstSeq: null, seq: 13 },
      { kind: 'session.updated', sessionId: 'b', firstSeq: null, seq: 14 },
    ]);
    const events = store.readChanges(0, { limit: 100 });
    expect(events.map((e) => e.seq)).toEqual([...Array(14).keys()].map((i) => i + 1));
    expect(stepNames(events)).toEqual(
      ['a0', 'a1', 'a2', 'b0', 'b1', 'b2'].flatMap((n) => [`span.started ${n}`, `span.ended ${n}`]),
    );
    expect(events.slice(0, 6).every((e) => e.sessionId === 'a')).toBe(true);
  });

  it('resumes after any id, inside a row too, with no gap and no duplicate, whole or filtered, at any page size', () => {
    const store = open();
    writeTwoSessions(store);
    writeTwoSessions(store);
    const all = store.readChanges(0, { limit: 1000 });
    expect(all).toHaveLength(28);
    for (const sessionId of [undefined, 'a', 'b']) {
      const wanted = all.filter((e) => sessionId === undefined || e.sessionId === sessionId);
      for (let after = 0; after <= 28; after++) {
        const expected = wanted.filter((e) => e.seq > after);
        expect(store.readChanges(after, { sessionId, limit: 1000 })).toEqual(expected);
        // Page by page, as a client far behind reads.
        for (const limit of [1, 3]) {
          const paged: ChangeEvent[] = [];
          let position = after;
          for (;;) {
            const page = store.readChanges(position, { sessionId, limit });
            paged.push(...page);
            if (page.length < limit) break;
            position = page[page.length - 1].seq;
          }
          expect(paged).toEqual(expected);
        }
      }
    }
  });

  it('fills a page past rows whose steps are all gone, so a reader does not skip what follows', async () => {
    const store = open();
    store.writeSync([makeRecord({ sessionId: 'gone', name: 'g0' }), makeRecord({ sessionId: 'gone', name: 'g1' })]);
    store.writeSync([makeRecord({ sessionId: 'kept', name: 'k0' })]);
    await store.deleteSession('gone');
    const page = store.readChanges(0, { limit: 2 });
    // The deleted session's update stays (a snapshot of its moment); its steps are gone.
    expect(page.map((e) => e.kind)).toEqual(['session.updated', 'span.started']);
    expect(stepNames(page)).toEqual(['span.started k0']);
    // The hub, seeing a short page, takes the feed as read up to its end: it must not have been short.
    const hub = new ChangeHub({ store, onError: () => {} });
    const read = await hub.read(0, undefined, 2);
    expect(read.position).toBe(page[1].seq);
    expect(stepNames((await hub.read(read.position, undefined, 10)).events)).toEqual(['span.ended k0']);
  });

  it('never shows a later span whose row took the rowid of a deleted one', async () => {
    const store = open();
    store.writeSync([makeLlmRecord({ sessionId: 'kept', name: 'kept' })]);
    store.writeSync([makeLlmRecord({ sessionId: 'gone', name: 'gone' })]);
    const goneRowid = store.database.prepare("SELECT id FROM spans WHERE resolved_session_id = 'gone'").pluck().get();
    await store.deleteSession('gone');
    store.writeSync([makeLlmRecord({ sessionId: 'new', name: 'new' })]);
    // SQLite hands the freed highest rowid out again.
    expect(store.database.prepare("SELECT id FROM spans WHERE resolved_session_id = 'new'").pluck().get()).toBe(goneRowid);
    const events = store.readChanges(0, { limit: 100 });
    expect(stepNames(events)).toEqual([
      'span.started kept',
      'span.ended kept',
      'span.started new',
      'span.ended new',
    ]);
    expect(events.filter((e) => e.kind === 'span.started').map((e) => e.sessionId)).toEqual(['kept', 'new']);
  });

  it('trims whole rows only: a cut inside a session’s steps keeps the row', () => {
    const store = open({ changeFeed: { maxEvents: 10 } });
    writeTwoSessions(store);
    writeTwoSessions(store);
    // 28 events; a cut after 18 would fall inside the second commit's row of a (15..20): it keeps that row.
    expect(store.changeFeedState()).toEqual({ latestSeq: 28, trimmedThroughSeq: 14 });
    expect(store.readChanges(0, { limit: 100 }).map((e) => e.seq)[0]).toBe(15);
  });

  it('keeps a step announced in a trace whose late session key moved it, under the session it was written to', () => {
    const store = open();
    const traceId = newTraceId();
    const child = makeRecord({ traceId, name: 'child' });
    store.writeSync([child]);
    store.writeSync([makeRecord({ traceId, sessionId: 'keyed', name: 'root' })]);
    const events = store.readChanges(0, { limit: 100 });
    expect(events.filter((e) => e.kind === 'span.started').map((e) => [e.sessionId, stepNames([e])[0]])).toEqual([
      [traceId, 'span.started child'],
      ['keyed', 'span.started root'],
    ]);
  });

  it('reads the feed of a file written before version 9 as the code that wrote it did', () => {
    writeFileSync(feedPath(), gunzipSync(readFileSync(new URL('v8-spans.db.gz', FIXTURES))));
    // What the store read from this file before migration 009 (opened read-only, nothing appended).
    const expected = JSON.parse(readFileSync(new URL('v8-spans.changes.json', FIXTURES), 'utf8')) as ChangeEvent[];
    const store = open();
    const events = store.readChanges(0, { limit: 10_000 });
    const old = events.filter((e) => e.seq <= expected[expected.length - 1].seq);
    expect(JSON.parse(JSON.stringify(old))).toEqual(expected);
    // A resume between the two events of an old completed row.
    const completed = expected.findIndex((e, i) => e.kind === 'span.started' && expected[i + 1]?.kind === 'span.ended');
    expect(store.readChanges(expected[completed].seq, { limit: 1 })).toEqual([events[completed + 1]]);
    // New commits append step rows after the old ones.
    store.writeSync([makeRecord({ sessionId: 'after-upgrade', name: 'new' })]);
    expect(stepNames(store.readChanges(store.latestChangeSeq() - 3, { limit: 10 }))).toEqual(['span.started new', 'span.ended new']);
  });

  it('codes rowids of any size and order, and checks, losslessly', () => {
    const entries = [
      { kind: 2 as const, rowid: 1, check: 0 },
      { kind: 0 as const, rowid: 2, check: 0xffffffff },
      { kind: 1 as const, rowid: 2 ** 40 + 3, check: 12345 },
      { kind: 2 as const, rowid: 7, check: 1 },
      { kind: 0 as const, rowid: Number.MAX_SAFE_INTEGER, check: 99 },
    ];
    const bytes = encodeSteps(entries);
    expect(decodeSteps(bytes)).toEqual(entries);
    // Consecutive rowids cost one byte plus the check.
    expect(encodeSteps([{ kind: 0, rowid: 1, check: 0 }, { kind: 1, rowid: 2, check: 0 }]).length).toBe(10);
  });
});
