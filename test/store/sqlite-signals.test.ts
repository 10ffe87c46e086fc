/** Log records and metric points in the SQLite store: what the contract cannot see (schema, change feed, transactions). */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ChangeEvent, LogEvent } from '../../src/model/live-event.js';
import { logRecordJson } from '../../src/model/log-view.js';
import { StoreError } from '../../src/store/errors.js';
import { SCHEMA_VERSION, SqliteTraceStore } from '../../src/store/sqlite/index.js';
import { makeLlmRecord, makeRecord, newSpanId, newTraceId } from '../helpers/records.js';
import { downgradeTo } from './schema-downgrade.js';
import { LOG_RESOURCE, LOG_SCOPE, everyMetricType, makeLog } from './signal-records.js';

const logEvents = (events: ChangeEvent[]) => events.filter((e): e is LogEvent => e.kind === 'log');

describe('SqliteTraceStore: log records and metric points', () => {
  let dir: string;
  let path: string;
  const stores: SqliteTraceStore[] = [];
  const open = (options: { readonly?: boolean } = {}) => {
    const store = new SqliteTraceStore({ path, ...options });
    stores.push(store);
    return store;
  };
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'skein-signals-'));
    path = join(dir, 'skein.db');
  });
  afterEach(() => {
    for (const store of stores.splice(0)) store.closeSync();
    rmSync(dir, { recursive: true, force: true });
  });

  it('upgrades a version 6 file in place: its sessions and spans stay, logs and metrics can be stored', async () => {
    const before = open();
    const record = makeLlmRecord({ sessionId: 'kept' });
    before.writeSync([record]);
    const session = await before.getSession('kept');
    const spans = (await before.getSpans({ sessionId: 'kept' })).items;
    before.closeSync();
    const db = new Database(path);
    downgradeTo(db, 6);
    expect(db.prepare("SELECT name FROM sqlite_schema WHERE name = 'log_records'").get()).toBeUndefined();
    db.close();

    const store = open();
    expect(store.database.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(await store.getSession('kept')).toStrictEqual(session);
    expect((await store.getSpans({ sessionId: 'kept' })).items).toStrictEqual(spans);
    expect(store.writeLogsSync([makeLog({ attributes: {}, traceId: record.traceId })])).toBe(1);
    expect(store.writeMetricsSync(everyMetricType('kept'))).toBe(8);
    expect((await store.listLogs({ sessionId: 'kept' })).items).toHaveLength(1);
    expect((await store.listMetricPoints({ sessionId: 'kept' })).items).toHaveLength(8);
  });

  it("says whether a trace has log records stored (a commit's shortcut before reading them), whatever the id's case", () => {
    const store = open();
    const traceId = newTraceId();
    expect(store.hasTraceLogsSync(traceId)).toBe(false);
    store.writeLogsSync([makeLog({ attributes: {}, traceId })]);
    expect(store.hasTraceLogsSync(traceId)).toBe(true);
    expect(store.hasTraceLogsSync(traceId.toUpperCase())).toBe(true);
    expect(store.hasTraceLogsSync(newTraceId())).toBe(false);
    expect(() => store.hasTraceLogsSync('not-hex')).toThrow(StoreError);
  });

  it('appends a log event for each record with a session, shown as the API shows it, in commit order with steps', async () => {
    const store = open();
    const traceId = newTraceId();
    store.transaction(() => {
      store.writeSync([makeRecord({ traceId, sessionId: 's1', name: 'turn' })]);
      store.writeLogsSync([
        makeLog({ attributes: {}, traceId, spanId: newSpanId(), body: { text: 'hi', n: 2n ** 63n - 1n } }),
        makeLog({ attributes: {} }), // no session: no event
        makeLog({ attributes: { 'session.id': 's2' } }),
      ]);
    });
    const events = store.readChanges(0, { limit: 100 });
    expect(events.map((e) => `${e.kind} ${e.sessionId}`)).toStrictEqual([
      'span.started s1',
      'span.ended s1',
      'session.updated s1',
      'log s1',
      'log s2',
    ]);
    const [first, second] = logEvents(events);
    const stored = store.database.prepare('SELECT id FROM log_records ORDER BY id').pluck().all() as number[];
    expect(first.log.id).toBe(stored[0]);
    expect(second.log.id).toBe(stored[2]);
    const [listed] = (await store.listLogs({ sessionId: 's1' })).items;
    expect(first.log).toStrictEqual(logRecordJson(listed));
    expect(first.log.body).toStrictEqual({ text: 'hi', n: '9223372036854775807' });
    expect(first.log.sessionId).toBe('s1');
    expect(JSON.parse(JSON.stringify(first))).toStrictEqual(first);
    expect(logEvents(store.readChanges(0, { limit: 100, sessionId: 's2' })).map((e) => e.log.id)).toStrictEqual([stored[2]]);
    expect(events.map((e) => e.seq)).toStrictEqual([...events.map((e) => e.seq)].sort((a, b) => a - b));
  });

  it('appends a log event when a record gets its session from spans written after it', () => {
    const store = open();
    const traceId = newTraceId();
    store.writeLogsSync([makeLog({ attributes: {}, traceId })]);
    expect(logEvents(store.readChanges(0, { limit: 100 }))).toStrictEqual([]);
    store.writeSync([makeRecord({ traceId })]); // the trace is its own session
    expect(logEvents(store.readChanges(0, { limit: 100 })).map((e) => [e.sessionId, e.log.sessionId])).toStrictEqual([
      [traceId, traceId],
    ]);
    store.writeSync([makeRecord({ traceId, sessionId: 'keyed' })]); // a late key moves the trace, and the record
    const events = logEvents(store.readChanges(0, { limit: 100 }));
    // The event under the session it left is left out, as a step's is once its span is gone.
    expect(events.map((e) => [e.sessionId, e.log.sessionId, e.log.traceId])).toStrictEqual([['keyed', 'keyed', traceId]]);
  });

  it('leaves a log event out of the feed once its record is deleted', async () => {
    const store = open();
    store.writeLogsSync([makeLog({ attributes: { 'session.id': 'gone' } }), makeLog({ attributes: { 'session.id': 'kept' } })]);
    expect(logEvents(store.readChanges(0, { limit: 100 }))).toHaveLength(2);
    await store.deleteSession('gone');
    expect(logEvents(store.readChanges(0, { limit: 100 })).map((e) => e.sessionId)).toStrictEqual(['kept']);
  });

  it('never reuses the id of a deleted record: a stale log event cannot show a newer record', async () => {
    const store = open();
    store.writeLogsSync([makeLog({ attributes: { 'session.id': 'a' } }), makeLog({ attributes: { 'session.id': 'b' } })]);
    const [, deleted] = (await store.listLogs({})).items;
    await store.deleteSession('b');
    store.writeLogsSync([makeLog({ attributes: { 'session.id': 'c' } })]);
    const [, newer] = (await store.listLogs({})).items;
    expect(newer.id).toBeGreaterThan(deleted.id);
    const events = logEvents(store.readChanges(0, { limit: 100 }));
    expect(events.map((e) => [e.sessionId, e.log.sessionId])).toStrictEqual([
      ['a', 'a'],
      ['c', 'c'],
    ]);
    store.writeMetricsSync(everyMetricType('m'));
    const points = (await store.listMetricPoints({ limit: 1000 })).items;
    await store.deleteSession('m');
    store.writeMetricsSync(everyMetricType('n'));
    const again = (await store.listMetricPoints({ limit: 1000 })).items;
    expect(Math.min(...again.map((p) => p.id))).toBeGreaterThan(Math.max(...points.map((p) => p.id)));
  });

  it('keeps unsigned 64-bit times and counts past 2^63 - 1 exactly instead of failing the commit', async () => {
    const store = open();
    const max = 2n ** 64n - 1n;
    const records = [
      makeLog({ timeUnixNano: max, observedTimeUnixNano: 2n ** 63n, body: 'far future' }),
      makeLog({ body: 'ordinary' }),
      makeLog({ timeUnixNano: 0n, observedTimeUnixNano: 2n ** 63n + 1n, body: 'observed far' }),
    ];
    expect(store.writeLogsSync(records)).toBe(3);
    const read: unknown[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.listLogs({ limit: 1, cursor });
      read.push(...page.items.map((r) => [r.body, r.timeUnixNano, r.observedTimeUnixNano]));
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
    // Past 2^63 - 1 they sort first (stored as the signed integer with the same bits); nothing is lost or repeated.
    expect(read).toStrictEqual([
      ['observed far', 0n, 2n ** 63n + 1n],
      ['far future', max, 2n ** 63n],
      ['ordinary', records[1].timeUnixNano, records[1].observedTimeUnixNano],
    ]);
    const [histogram] = everyMetricType().filter((m) => m.type === 'histogram');
    if (histogram.type !== 'histogram') throw new Error('no histogram');
    const point = { ...histogram.points[0], count: max, timeUnixNano: 2n ** 63n, startTimeUnixNano: max };
    expect(store.writeMetricsSync([{ ...histogram, points: [point] }])).toBe(1);
    const [stored] = (await store.listMetricPoints({})).items;
    expect([stored.count, stored.timeUnixNano, stored.startTimeUnixNano]).toStrictEqual([max, 2n ** 63n, max]);
  });

  it("joins the caller's transaction: a failure after the write stores nothing, feed included", async () => {
    const store = open();
    const seq = store.latestChangeSeq();
    expect(() =>
      store.transaction(() => {
        store.writeLogsSync([makeLog({ attributes: { 'session.id': 's' } })]);
        store.writeMetricsSync(everyMetricType('s'));
        throw new Error('the outbox insert failed');
      }),
    ).toThrow('the outbox insert failed');
    expect((await store.listLogs({})).items).toStrictEqual([]);
    expect((await store.listMetricPoints({})).items).toStrictEqual([]);
    expect(store.latestChangeSeq()).toBe(seq);
    // Nothing interned survives the rollback in a cache: the next write stores its session.
    store.writeLogsSync([makeLog({ attributes: { 'session.id': 's' } })]);
    expect((await store.listLogs({ sessionId: 's' })).items).toHaveLength(1);
  });

  it('two writers of one file share interned sessions, event names and key lists without conflict', async () => {
    const first = open();
    const second = open();
    for (let i = 0; i < 3; i++) {
      first.writeLogsSync([makeLog({ attributes: { 'session.id': `s${i}`, n: i } })]);
      second.writeLogsSync([makeLog({ attributes: { 'session.id': `s${i}`, n: i } }), makeLog({ attributes: { 'session.id': 'only-second' } })]);
      second.writeMetricsSync(everyMetricType(`s${i}`));
      first.writeMetricsSync(everyMetricType(`s${i}`));
    }
    expect((await first.listLogs({ sessionId: 's1' })).items.map((r) => r.attributes)).toStrictEqual([
      { 'session.id': 's1', n: 1 },
      { 'session.id': 's1', n: 1 },
    ]);
    expect((await second.listMetricPoints({ sessionId: 's2', limit: 1000 })).items).toHaveLength(16);
    const strings = first.database.prepare('SELECT COUNT(*) FROM signal_strings').pluck().get();
    // s0-s2, only-second, INFO, the event name and two key lists.
    expect(strings).toBe(8);
  });

  it('keeps one resource and one scope row for a batch, and shares them with spans of equal content', () => {
    const store = open();
    store.writeSync([makeRecord({ raw: { resource: { ...LOG_RESOURCE }, scope: { ...LOG_SCOPE } } })]);
    const count = () => store.database.prepare('SELECT COUNT(*) FROM resources').pluck().get();
    const before = count();
    store.writeLogsSync(Array.from({ length: 50 }, () => makeLog({ resource: { ...LOG_RESOURCE }, scope: { ...LOG_SCOPE } })));
    store.writeMetricsSync(everyMetricType());
    expect(count()).toBe(before);
    expect(store.database.prepare('SELECT COUNT(*) FROM metric_streams').pluck().get()).toBe(6);
  });

  it('reads from a read-only store and refuses writes there', async () => {
    open().writeLogsSync([makeLog()]);
    const reader = open({ readonly: true });
    expect((await reader.listLogs({})).items).toHaveLength(1);
    expect(() => reader.writeLogsSync([makeLog()])).toThrow(StoreError);
    expect(() => reader.writeMetricsSync(everyMetricType())).toThrow(StoreError);
  });

  it('previews what retention would delete, records and points included', async () => {
    const store = open();
    const old = 1_000_000_000_000_000_000n; // 2001
    const now = BigInt(Date.now() - 1) * 1_000_000n; // before any cutoff computed from here on
    store.writeLogsSync([
      makeLog({ timeUnixNano: old }),
      makeLog({ timeUnixNano: now, attributes: { 'session.id': 'x' } }),
      makeLog({ timeUnixNano: now }),
    ]);
    store.writeMetricsSync(everyMetricType()); // 2023
    expect(await store.previewRetention({ maxAgeMillis: 0 })).toMatchObject({ logRecords: 3, metricPoints: 8 });
    const tenYears = 3650 * 24 * 3600 * 1000;
    expect(await store.previewRetention({ maxAgeMillis: tenYears })).toMatchObject({ logRecords: 1, metricPoints: 0 });
    expect((await store.listLogs({})).items).toHaveLength(3);
  });
});
