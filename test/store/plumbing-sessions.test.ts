/**
 * Sessions made only of an agent's plumbing spans (`SpanRecord.internal`,
 * Codex CLI's own traces, issue 17): the summary says so (`internal`), and
 * full-text search leaves internal spans out unless asked, through the
 * store, the query API and the CLI; hand-made records, then the Codex CLI
 * capture replayed over HTTP.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startCollector } from '../../src/collector/start-collector.js';
import type { RunningCollector } from '../../src/collector/start-collector.js';
import type { SearchHit } from '../../src/model/query.js';
import type { SpanRecord } from '../../src/model/types.js';
import { listSessionsMatching, sessionSpans } from '../../src/query/store-reads.js';
import { InvalidQueryError } from '../../src/store/errors.js';
import { SqliteTraceStore } from '../../src/store/sqlite/index.js';
import { cli } from '../cli/run.js';
import { AGENT_FIXTURES_DIR, replayScenario } from '../fixtures/agents/replay.js';
import { BASE_TIME_UNIX_NANO, MILLI, makeLlmRecord, makeRecord, newTraceId } from '../helpers/records.js';
import { decodeRun } from '../model/agents/agent-fixture.js';

const internal = (record: SpanRecord): SpanRecord => ({ ...record, internal: true });
const keyOf = (s: { traceId: string; spanId: string }): string => `${s.traceId}/${s.spanId}`;

describe('plumbing-only sessions in the store', () => {
  let dir: string;
  let store: SqliteTraceStore;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'skein-plumbing-'));
    store = new SqliteTraceStore({ path: join(dir, 'traces.db') });
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("a session's summary says whether it is plumbing only (internal), in getSession and the list", async () => {
    const traceId = newTraceId();
    const root = makeRecord({ traceId, sessionId: 'real', name: 'agent', stepType: 'agent' });
    const hidden = internal(makeRecord({ traceId, sessionId: 'real', name: 'append_items', parentSpanId: root.spanId }));
    const alone = internal(makeRecord({ name: 'initialize' }));
    store.writeSync([root, hidden, makeLlmRecord({ traceId, sessionId: 'real', parentSpanId: root.spanId }), alone]);

    expect((await store.getSession('real')).internal).toBe(false);
    expect((await store.getSession(alone.traceId)).internal).toBe(true);
    const all = await store.listSessions({ includeInternal: true });
    expect(Object.fromEntries(all.items.map((s) => [s.sessionId, s.internal]))).toStrictEqual({ real: false, [alone.traceId]: true });
    expect((await store.listSessions()).items.map((s) => [s.sessionId, s.internal])).toStrictEqual([['real', false]]);
  });

  it('search leaves internal spans out unless includeInternal, before the page is cut', async () => {
    const traceId = newTraceId();
    const step = makeRecord({ traceId, sessionId: 'real', name: 'deploy step', stepType: 'tool' });
    // Stored after the step (newer full-text rows, read first): a page of them must not hide it.
    const plumbing = Array.from({ length: 30 }, (_, i) =>
      internal(makeRecord({ name: `deploy plumbing ${i}`, startTimeUnixNano: BASE_TIME_UNIX_NANO + BigInt(i) * MILLI })),
    );
    const ownPlumbing = internal(makeRecord({ traceId, sessionId: 'real', name: 'deploy own plumbing', parentSpanId: step.spanId }));
    store.writeSync([step]);
    store.writeSync([...plumbing, ownPlumbing]);

    const keys = (hits: SearchHit[]) => hits.map(keyOf).sort();
    expect(keys(await store.search({ text: 'deploy', limit: 5 }))).toStrictEqual([keyOf(step)]);
    expect(keys(await store.search({ text: 'deploy', limit: 5, includeInternal: false }))).toStrictEqual([keyOf(step)]);
    expect(await store.search({ text: 'deploy', limit: 100, includeInternal: true })).toHaveLength(32);
    expect(keys(await store.search({ text: 'deploy', sessionId: 'real' }))).toStrictEqual([keyOf(step)]);
    expect(keys(await store.search({ text: 'deploy', sessionId: 'real', includeInternal: true }))).toStrictEqual(
      [keyOf(step), keyOf(ownPlumbing)].sort(),
    );
    await expect(store.search({ text: 'deploy', includeInternal: 'yes' as unknown as boolean })).rejects.toBeInstanceOf(
      InvalidQueryError,
    );

    // Sessions by text: a step's words, not its plumbing's.
    const matching = async (match: string, includeInternal?: boolean) =>
      (await listSessionsMatching(store, includeInternal === undefined ? {} : { includeInternal }, match)).items
        .map((s) => s.sessionId)
        .sort();
    expect(await matching('"own"')).toStrictEqual([]);
    expect(await matching('"own"', true)).toStrictEqual(['real']);
    expect(await matching('"plumbing"', true)).toStrictEqual(['real', ...plumbing.map((s) => s.traceId)].sort());
  });
});

describe('the Codex CLI capture replayed: plumbing marked and not searched by default', () => {
  const scenarioDir = join(AGENT_FIXTURES_DIR, 'codex', 'exec-http-binary');
  let dir: string;
  let collector: RunningCollector;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skein-plumbing-codex-'));
    collector = await startCollector({ dbPath: join(dir, 'skein.db'), port: 0, grpcPort: 'off' });
  });
  afterEach(async () => {
    await collector?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sessions carry internal over HTTP and from skein sessions --all --json; search needs internal=true / --all for plumbing', async () => {
    const run = decodeRun('codex', 'exec-http-binary');
    const conversation = String(run.logs.map((r) => (r.attributes as Record<string, unknown>)['conversation.id']).find((v) => v !== undefined));
    // A word only Codex's plumbing says: the name of its `initialize` span(s).
    const initialize = new Set(run.spans.filter((s) => s.name === 'initialize').map(keyOf));
    expect(initialize.size).toBeGreaterThan(0);
    const answers = await replayScenario(scenarioDir, { httpUrl: collector.url, grpcPort: null });
    expect(answers.every((a) => a.httpStatus === 200)).toBe(true);
    const store = collector.store;
    const all = (await store.listSessions({ limit: 500, includeInternal: true })).items;
    expect(all.length).toBeGreaterThan(1);
    const expected = Object.fromEntries(all.map((s) => [s.sessionId, s.sessionId !== conversation]));

    const get = async (path: string) => {
      const response = await fetch(`${collector.url}/api${path}`);
      expect(response.status).toBe(200);
      return response.json() as Promise<Record<string, unknown>>;
    };
    type Listed = { items: Array<{ sessionId: string; internal: boolean }> };
    const flags = (page: Listed) => Object.fromEntries(page.items.map((s) => [s.sessionId, s.internal]));
    expect(flags((await get('/sessions?limit=500&internal=true')) as Listed)).toStrictEqual(expected);
    expect(flags((await get('/sessions?limit=500')) as Listed)).toStrictEqual({ [conversation]: false });
    expect((await get(`/sessions/${encodeURIComponent(conversation)}`)).internal).toBe(false);
    // Its step count is its timeline's, not the ~500 spans its plumbing adds (the list's STEPS column).
    const timeline = await get(`/sessions/${encodeURIComponent(conversation)}/timeline`);
    const run1 = (await get(`/sessions/${encodeURIComponent(conversation)}`)) as { stepCount: number; spanCount: number };
    expect(run1.stepCount).toBe((timeline.steps as unknown[]).length);
    expect(run1.spanCount).toBeGreaterThan(run1.stepCount);
    const listedSteps = await cli(['sessions', '--db', collector.dbPath, '--json']);
    expect((JSON.parse(listedSteps.stdout) as { items: { stepCount: number }[] }).items[0].stepCount).toBe(run1.stepCount);
    const fromCli = await cli(['sessions', '--db', collector.dbPath, '--json', '--limit', '500', '--all']);
    expect(fromCli.stderr).toBe('');
    expect(flags(JSON.parse(fromCli.stdout) as Listed)).toStrictEqual(expected);
    // The table marks them too: one row of the conversation, the others marked plumbing.
    const table = await cli(['sessions', '--db', collector.dbPath, '--limit', '500', '--all']);
    const rows = table.stdout.split('\n').filter((line) => line.includes('codex'));
    expect(rows).toHaveLength(all.length);
    expect(rows.filter((line) => line.includes('(plumbing)'))).toHaveLength(all.length - 1);
    expect(rows.find((line) => !line.includes('(plumbing)'))).toContain(conversation.slice(0, 30));

    // Search: every hit of the default is a step (never plumbing); the opt-in finds the plumbing too.
    const internalKeys = new Set(
      (await Promise.all(all.map((s) => sessionSpans(store, s.sessionId)))).flat().filter((s) => s.internal === true).map(keyOf),
    );
    type Found = { hits: Array<{ traceId: string; spanId: string }> };
    const found = (result: Found) => new Set(result.hits.map(keyOf));
    expect(found((await get('/search?q=initialize')) as Found)).toStrictEqual(new Set());
    const optIn = found((await get('/search?q=initialize&internal=true&limit=500')) as Found);
    expect([...initialize].every((k) => optIn.has(k))).toBe(true);
    const broad = found((await get('/search?q=codex&limit=500')) as Found);
    expect([...broad].filter((k) => internalKeys.has(k))).toStrictEqual([]);
    const search = async (...flags: string[]) => {
      const result = await cli(['search', 'initialize', '--db', collector.dbPath, '--json', '--limit', '500', ...flags]);
      expect(result.stderr).toBe('');
      return found(JSON.parse(result.stdout) as Found);
    };
    expect(await search()).toStrictEqual(new Set());
    expect(await search('--all')).toStrictEqual(optIn);
  });
});
