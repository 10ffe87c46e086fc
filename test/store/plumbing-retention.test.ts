/**
 * Count-based retention (`maxSessions`) counts only the sessions a user
 * sees: a session made only of an agent's plumbing (Codex CLI's own traces,
 * `SessionSummary.internal`) is not one of them, and goes with the visible
 * sessions the count drops (last active no later than the newest of them),
 * or by age. Hand-made records, then the real Codex CLI capture replayed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startCollector } from '../../src/collector/start-collector.js';
import type { RunningCollector } from '../../src/collector/start-collector.js';
import type { SessionSummary, SpanRecord } from '../../src/model/types.js';
import { SqliteTraceStore } from '../../src/store/sqlite/index.js';
import { AGENT_FIXTURES_DIR, replayScenario } from '../fixtures/agents/replay.js';
import { BASE_TIME_UNIX_NANO, SECOND, makeLlmRecord, makeRecord } from '../helpers/records.js';

/** Ages never reach these records: only the count deletes. */
const FOREVER = { maxAgeMillis: 1e13 };
const internal = (record: SpanRecord): SpanRecord => ({ ...record, internal: true });
const at = (seconds: number) => BASE_TIME_UNIX_NANO + BigInt(seconds) * SECOND;

async function ids(store: SqliteTraceStore): Promise<string[]> {
  return (await store.listSessions({ includeInternal: true, limit: 1000 })).items.map((s) => s.sessionId).sort();
}

describe('maxSessions and plumbing-only sessions', () => {
  let dir: string;
  let store: SqliteTraceStore;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'skein-plumbing-retention-'));
    store = new SqliteTraceStore({ path: join(dir, 'traces.db') });
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('counts visible sessions only; plumbing goes when last active no later than the newest visible session dropped', async () => {
    const visible = (id: string, seconds: number) => makeLlmRecord({ sessionId: id, startTimeUnixNano: at(seconds) });
    const plumbing = (seconds: number) => internal(makeRecord({ name: 'initialize', startTimeUnixNano: at(seconds) }));
    const p = [plumbing(0), plumbing(10), plumbing(15), plumbing(30), plumbing(50), plumbing(70)];
    store.writeSync([visible('a', 10), visible('b', 40), visible('c', 60), ...p]);
    const plumbingIds = p.map((s) => s.traceId);
    const before = await ids(store);
    expect(before).toHaveLength(9);

    // Three visible sessions fit a budget of 3, whatever the plumbing beside them.
    expect(await store.previewRetention({ ...FOREVER, maxSessions: 3 })).toMatchObject({ sessions: 0, spans: 0 });
    expect(await store.applyRetention({ ...FOREVER, maxSessions: 3 })).toMatchObject({ sessionsDeleted: 0 });
    expect(await ids(store)).toStrictEqual(before);

    // Keep 2: `a` goes, and the plumbing last active by its end (0 s, and the one at 10 s that ends with it).
    const aEnd = (await store.getSession('a')).lastActivityUnixNano as bigint;
    const gone = [p[0], p[1]].filter((s) => (s.endTimeUnixNano as bigint) <= aEnd).map((s) => s.traceId);
    expect(gone).toHaveLength(2);
    const preview = await store.previewRetention({ ...FOREVER, maxSessions: 2 });
    expect(preview).toMatchObject({ sessions: 3, spans: 3 });
    expect(await store.applyRetention({ ...FOREVER, maxSessions: 2 })).toMatchObject({ sessionsDeleted: 3, spansDeleted: 3 });
    expect(await ids(store)).toStrictEqual(before.filter((id) => id !== 'a' && !gone.includes(id)));

    // Keep 0: every visible session goes, and the plumbing up to the newest of them (`c`, at 60 s).
    await store.applyRetention({ ...FOREVER, maxSessions: 0 });
    expect(await ids(store)).toStrictEqual([plumbingIds[5]]);
  });

  it('still deletes plumbing by age, and rejects a bad maxSessions', async () => {
    store.writeSync([internal(makeRecord({ name: 'auth' })), makeLlmRecord({ sessionId: 'kept', startTimeUnixNano: BigInt(Date.now()) * 1_000_000n })]);
    expect(await store.applyRetention({ maxAgeMillis: 24 * 3600 * 1000, maxSessions: 10 })).toMatchObject({ sessionsDeleted: 1 });
    expect(await ids(store)).toStrictEqual(['kept']);
    await expect(store.applyRetention({ maxSessions: 1.5 })).rejects.toThrow(/maxSessions/);
  });
});

describe('maxSessions on the real Codex CLI capture', () => {
  const scenarioDir = join(AGENT_FIXTURES_DIR, 'codex', 'exec-http-binary');
  let dir: string;
  let collector: RunningCollector;
  let all: SessionSummary[];
  let conversation: SessionSummary;
  let plumbing: SessionSummary[];
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skein-plumbing-retention-codex-'));
    collector = await startCollector({ dbPath: join(dir, 'skein.db'), port: 0, grpcPort: 'off' });
    const answers = await replayScenario(scenarioDir, { httpUrl: collector.url, grpcPort: null });
    expect(answers.every((a) => a.httpStatus === 200)).toBe(true);
    all = (await collector.store.listSessions({ includeInternal: true, limit: 1000 })).items;
    const visible = all.filter((s) => s.internal === false);
    expect(visible).toHaveLength(1);
    conversation = visible[0];
    plumbing = all.filter((s) => s.internal === true);
    expect(plumbing.length).toBeGreaterThan(1);
  });
  afterEach(async () => {
    await collector?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const last = (s: SessionSummary) => s.lastActivityUnixNano as bigint;
  const idsNow = async () => ids(collector.store);

  it('one codex run is one session of the budget: with a newer session beside it, 2 keep everything', async () => {
    const newest = all.map(last).reduce((a, b) => (a > b ? a : b));
    collector.store.writeSync([makeLlmRecord({ sessionId: 'newer', startTimeUnixNano: newest + SECOND })]);
    const before = await idsNow();
    expect(before).toHaveLength(all.length + 1);
    expect(await collector.store.applyRetention({ ...FOREVER, maxSessions: 2 })).toMatchObject({ sessionsDeleted: 0 });
    expect(await idsNow()).toStrictEqual(before);

    // Keep 1: the run goes, with its log records, and so does its plumbing that was done by its last activity.
    const dropped = new Set([conversation.sessionId, ...plumbing.filter((s) => last(s) <= last(conversation)).map((s) => s.sessionId)]);
    const trailing = plumbing.filter((s) => last(s) > last(conversation)).map((s) => s.sessionId);
    expect(dropped.size).toBeGreaterThan(1);
    const preview = await collector.store.previewRetention({ ...FOREVER, maxSessions: 1 });
    expect(preview.sessions).toBe(dropped.size);
    const result = await collector.store.applyRetention({ ...FOREVER, maxSessions: 1 });
    expect(result.sessionsDeleted).toBe(dropped.size);
    expect(result.logRecordsDeleted).toBeGreaterThan(0);
    expect(result.logRecordsDeleted).toBe(preview.logRecords);
    expect(await idsNow()).toStrictEqual(['newer', ...trailing].sort());
  });

  it("an older session dropped takes none of the kept run's plumbing, though some of it started before the run's first step", async () => {
    const oldest = all.map((s) => s.firstStartUnixNano).reduce((a, b) => (a < b ? a : b));
    collector.store.writeSync([makeLlmRecord({ sessionId: 'older', startTimeUnixNano: oldest - 60n * SECOND })]);
    expect(plumbing.some((s) => last(s) < conversation.firstStartUnixNano)).toBe(true);
    const result = await collector.store.applyRetention({ ...FOREVER, maxSessions: 1 });
    expect(result.sessionsDeleted).toBe(1);
    expect(await idsNow()).toStrictEqual(all.map((s) => s.sessionId).sort());
  });
});
