/**
 * An agent's plumbing spans (`SpanRecord.internal`, issue 17) are kept and
 * exported, but are neither steps of the timeline nor sessions of the default
 * list: hand-made records through the store, and the Codex CLI capture
 * replayed over HTTP to a real collector.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startCollector } from '../../src/collector/start-collector.js';
import type { RunningCollector } from '../../src/collector/start-collector.js';
import type { RawLogRecord } from '../../src/model/log-types.js';
import type { SpanRecord, StoredSpan } from '../../src/model/types.js';
import { exportSession } from '../../src/query/session-export.js';
import { sessionSpans } from '../../src/query/store-reads.js';
import { SCHEMA_VERSION, SqliteTraceStore } from '../../src/store/sqlite/index.js';
import { decodeTraceRequest } from '../../src/otlp/index.js';
import { cli } from '../cli/run.js';
import { AGENT_FIXTURES_DIR, listRequests, replayScenario, requestBodies } from '../fixtures/agents/replay.js';
import { BASE_TIME_UNIX_NANO, MILLI, makeLlmRecord, makeRecord, newTraceId } from '../helpers/records.js';
import { attr, count, decodeRun } from '../model/agents/agent-fixture.js';
import { downgradeTo } from './schema-downgrade.js';

const internal = (record: SpanRecord): SpanRecord => ({ ...record, internal: true });
const keyOf = (s: { traceId: string; spanId: string }): string => `${s.traceId}/${s.spanId}`;

describe('internal spans in the store', () => {
  let dir: string;
  let path: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'skein-internal-'));
    path = join(dir, 'traces.db');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps the flag, leaves a session of internal spans only out of the default list, and its spans out of timelines', async () => {
    const store = new SqliteTraceStore({ path });
    const traceId = newTraceId();
    const root = makeRecord({ traceId, sessionId: 'real', name: 'agent', stepType: 'agent' });
    const call = makeLlmRecord({ traceId, sessionId: 'real', name: 'chat', parentSpanId: root.spanId });
    const plumbing = internal(makeRecord({ traceId, sessionId: 'real', name: 'append_items', parentSpanId: root.spanId }));
    const alone = [
      internal(makeRecord({ name: 'initialize' })),
      internal(makeRecord({ name: 'auth', startTimeUnixNano: BASE_TIME_UNIX_NANO + 5n * MILLI })),
    ];
    store.writeSync([root, call, plumbing, ...alone]);

    const listed = async (includeInternal?: boolean) =>
      (await store.listSessions(includeInternal === undefined ? {} : { includeInternal })).items.map((s) => s.sessionId).sort();
    expect(await listed()).toStrictEqual(['real']);
    expect(await listed(false)).toStrictEqual(['real']);
    expect(await listed(true)).toStrictEqual(['real', alone[0].traceId, alone[1].traceId].sort());
    await expect(store.listSessions({ includeInternal: 'yes' as unknown as boolean })).rejects.toThrow(/includeInternal/);

    // The rollup keeps counting every span; the internal one adds no call.
    const session = await store.getSession('real');
    expect({ spans: session.spanCount, llm: session.llmCallCount }).toStrictEqual({ spans: 3, llm: 1 });

    const steps = (await store.getTimeline('real')).map(keyOf);
    expect(steps).toStrictEqual([keyOf(root), keyOf(call)]);
    expect((await store.getTree('real')).map((n) => n.children.map(keyOf))).toStrictEqual([[keyOf(call)]]);
    expect((await store.getTimeline('real', { includeInternal: true })).map(keyOf).sort()).toStrictEqual(
      [root, call, plumbing].map(keyOf).sort(),
    );
    // A session of plumbing only has no step unless asked for.
    expect(await store.getTimeline(alone[0].traceId)).toStrictEqual([]);
    expect((await store.getTree(alone[0].traceId, { includeInternal: true })).map((n) => n.name)).toStrictEqual(['initialize']);
    await expect(store.getTimeline('real', { includeInternal: 1 as unknown as boolean })).rejects.toThrow(/includeInternal/);

    // Read back whole: the flag is on the stored span, absent on the others.
    const spans = await sessionSpans(store, 'real');
    const flags = Object.fromEntries(spans.map((s: StoredSpan) => [s.name, s.internal]));
    expect(flags).toStrictEqual({ agent: undefined, chat: undefined, append_items: true });
    const exported = await exportSession(store, 'real', 'otlp');
    expect(exported.spanCount).toBe(3);
    expect(decodeTraceRequest(Buffer.from(exported.body), 'json').spans.map((s) => s.name).sort()).toStrictEqual(
      ['agent', 'append_items', 'chat'].sort(),
    );
    await store.close();
  });

  it('keeps the count through rewrites, recomputes and a session key arriving late', async () => {
    const store = new SqliteTraceStore({ path });
    const traceId = newTraceId();
    // Children first, without the key: the trace is its own session of plumbing only, hidden.
    const child = internal(makeRecord({ traceId, name: 'fs.get_metadata' }));
    store.writeSync([child]);
    expect((await store.listSessions()).items).toStrictEqual([]);
    // The same span again (a delta of zero) changes nothing.
    store.writeSync([child]);
    expect((await store.listSessions({ includeInternal: true })).items.map((s) => s.spanCount)).toStrictEqual([1]);
    // The key arrives on a real step: the plumbing moves (a recompute) into a listed session.
    const root = makeRecord({ traceId, sessionId: 'late', name: 'turn', stepType: 'turn' });
    store.writeSync([root]);
    const page = await store.listSessions();
    expect(page.items.map((s) => [s.sessionId, s.spanCount])).toStrictEqual([['late', 2]]);
    expect((await store.listSessions({ includeInternal: true })).items.map((s) => s.sessionId)).toStrictEqual(['late']);
    expect((await store.getTimeline('late')).map((s) => s.name)).toStrictEqual(['turn']);
    const row = store.database.prepare("SELECT internal_count, span_count FROM sessions WHERE session_id = 'late'").get();
    expect(row).toStrictEqual({ internal_count: 1, span_count: 2 });
    await store.close();
  });

  it("does not let a failed internal span fail the session or count as its error (by delta and by recompute)", async () => {
    const store = new SqliteTraceStore({ path });
    const traceId = newTraceId();
    const step = makeRecord({ traceId, sessionId: 'run', name: 'turn', stepType: 'turn' });
    const failedPlumbing = internal(makeRecord({ name: 'http.request', sessionId: 'run', statusCode: 2, isError: true }));
    store.writeSync([step, failedPlumbing]);
    const summary = async () => {
      const s = await store.getSession('run');
      return { status: s.status, errors: s.errorCount, spans: s.spanCount };
    };
    expect(await summary()).toStrictEqual({ status: 'completed', errors: 0, spans: 2 });
    // A failed child inheriting the plumbing's session (a delta), then the plumbing moved in time (a recompute).
    store.writeSync([internal(makeRecord({ traceId: failedPlumbing.traceId, parentSpanId: failedPlumbing.spanId, isError: true }))]);
    expect(await summary()).toStrictEqual({ status: 'completed', errors: 0, spans: 3 });
    store.writeSync([{ ...failedPlumbing, startTimeUnixNano: failedPlumbing.startTimeUnixNano - MILLI }]);
    expect(await summary()).toStrictEqual({ status: 'completed', errors: 0, spans: 3 });
    // A failed step still fails it.
    store.writeSync([makeRecord({ traceId, sessionId: 'run', name: 'tool', stepType: 'tool', statusCode: 2, isError: true })]);
    expect(await summary()).toStrictEqual({ status: 'failed', errors: 1, spans: 4 });
    await store.close();
  });

  it('announces no step and no session of plumbing on the change feed', async () => {
    const store = new SqliteTraceStore({ path });
    const plumbing = internal(makeRecord({ name: 'initialize' }));
    const traceId = newTraceId();
    const step = makeRecord({ traceId, sessionId: 'real', name: 'turn' });
    const hidden = internal(makeRecord({ traceId, sessionId: 'real', name: 'append_items' }));
    store.writeSync([plumbing, step, hidden]);
    const events = store.readChanges(0, { limit: 100 });
    expect(events.map((e) => [e.kind, e.sessionId])).toStrictEqual([
      ['span.started', 'real'],
      ['span.ended', 'real'],
      ['session.updated', 'real'],
    ]);
    await store.close();
  });

  it('upgrades a version 7 file: its data is kept and listed, and new internal spans are hidden', async () => {
    const store = new SqliteTraceStore({ path });
    store.writeSync([makeLlmRecord({ sessionId: 'old' }), makeRecord({ sessionId: 'old', name: 'tool' })]);
    const before = await store.getSession('old');
    const timelineBefore = await store.getTimeline('old');
    await store.close();
    const db = new Database(path);
    downgradeTo(db, 7);
    expect(db.prepare("SELECT count(*) FROM pragma_table_info('spans') WHERE name = 'internal'").pluck().get()).toBe(0);
    db.close();

    const upgraded = new SqliteTraceStore({ path });
    expect(upgraded.database.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(await upgraded.getSession('old')).toStrictEqual(before);
    expect((await upgraded.listSessions()).items.map((s) => s.sessionId)).toStrictEqual(['old']);
    expect(await upgraded.getTimeline('old')).toStrictEqual(timelineBefore);
    // The timeline (span-queries.ts) finds the session's rows by the session index, already in start order.
    const plan = (
      upgraded.database
        .prepare(`EXPLAIN QUERY PLAN SELECT trace_id, span_id, name, start_ns, end_ns, cost_usd FROM spans
          WHERE resolved_session_id = 'old' AND internal = 0 ORDER BY start_ns, id`)
        .all() as Array<{ detail: string }>
    ).map((p) => p.detail);
    expect(plan).toStrictEqual(['SEARCH spans USING INDEX spans_session_start (resolved_session_id=?)']);
    upgraded.writeSync([internal(makeRecord({ name: 'plumbing' }))]);
    expect((await upgraded.listSessions()).items.map((s) => s.sessionId)).toStrictEqual(['old']);
    expect((await upgraded.listSessions({ includeInternal: true })).items).toHaveLength(2);
    await upgraded.close();
  });
});

describe('the Codex CLI capture replayed over HTTP', () => {
  const scenarioDir = join(AGENT_FIXTURES_DIR, 'codex', 'exec-http-binary');
  let dir: string;
  let collector: RunningCollector;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skein-internal-codex-'));
    collector = await startCollector({ dbPath: join(dir, 'skein.db'), port: 0, grpcPort: 'off' });
  });
  afterEach(async () => {
    await collector?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is one listed session with its calls and tokens; its plumbing traces only with the opt-in; timeline without, export with', async () => {
    const run = decodeRun('codex', 'exec-http-binary');
    const conversation = String(attr(run.logs[0], 'conversation.id'));
    const named = (logs: readonly RawLogRecord[], name: string) => logs.filter((r) => attr(r, 'event.name') === name);
    const usage = named(run.logs, 'codex.sse_event').filter((r) => attr(r, 'input_token_count') !== undefined);
    const sum = (key: string) => usage.reduce((total, r) => total + count(attr(r, key)), 0);
    // Sessions the spans alone make: the conversation, and every trace without a key.
    const keyed = new Set(run.spans.filter((s) => s.attributes['conversation.id'] !== undefined).map((s) => s.traceId));
    const unkeyedTraces = new Set(run.spans.map((s) => s.traceId).filter((t) => !keyed.has(t)));
    const spanKeys = new Set<string>();
    for (const request of listRequests(scenarioDir)) {
      if (request.signal !== 'traces') continue;
      for (const body of requestBodies(request)) for (const s of decodeTraceRequest(body, request.format).spans) spanKeys.add(keyOf(s));
    }
    expect(unkeyedTraces.size).toBeGreaterThan(0);

    const answers = await replayScenario(scenarioDir, { httpUrl: collector.url, grpcPort: null });
    expect(answers.map((a) => a.httpStatus).every((status) => status === 200)).toBe(true);
    const store = collector.store;

    const listed = await store.listSessions({ limit: 500 });
    expect(listed.items.map((s) => s.sessionId)).toStrictEqual([conversation]);
    const all = await store.listSessions({ limit: 500, includeInternal: true });
    expect(all.items.map((s) => s.sessionId).sort()).toStrictEqual([conversation, ...unkeyedTraces].sort());

    // The same over HTTP (`?internal=true`) and from the CLI (`--all`).
    const api = async (query: string) =>
      ((await (await fetch(`${collector.url}/api/sessions${query}`)).json()) as { items: Array<{ sessionId: string }> }).items
        .map((s) => s.sessionId)
        .sort();
    expect(await api('?limit=500')).toStrictEqual([conversation]);
    expect(await api('?limit=500&internal=true')).toStrictEqual(all.items.map((s) => s.sessionId).sort());
    const fromCli = async (...flags: string[]) => {
      const result = await cli(['sessions', '--db', collector.dbPath, '--json', '--limit', '500', ...flags]);
      expect(result.stderr).toBe('');
      return (JSON.parse(result.stdout) as { items: Array<{ sessionId: string }> }).items.map((s) => s.sessionId).sort();
    };
    expect(await fromCli()).toStrictEqual([conversation]);
    expect(await fromCli('--all')).toStrictEqual(all.items.map((s) => s.sessionId).sort());

    const session = await store.getSession(conversation);
    expect({
      agent: session.agentName,
      llm: session.llmCallCount,
      tools: session.toolCallCount,
      tokens: session.tokens,
    }).toStrictEqual({
      agent: 'codex',
      llm: usage.length,
      tools: named(run.logs, 'codex.tool_result').length,
      tokens: {
        input: sum('input_token_count'),
        output: sum('output_token_count'),
        reasoning: sum('reasoning_token_count'),
        cacheRead: sum('cached_token_count'),
        cacheWrite: sum('cache_write_token_count'),
      },
    });

    // Nothing that arrived is thrown away: every captured span is stored, and the session's export has its own.
    const stored = (await Promise.all(all.items.map((s) => sessionSpans(store, s.sessionId)))).flat();
    const captured = stored.filter((s) => spanKeys.has(keyOf(s)));
    expect(captured).toHaveLength(spanKeys.size);
    expect(captured.every((s) => s.internal === true)).toBe(true);
    const own = await sessionSpans(store, conversation);
    const ownInternal = new Set(own.filter((s) => s.internal === true).map(keyOf));
    expect(ownInternal.size).toBeGreaterThan(0);
    const exported = await exportSession(store, conversation, 'otlp');
    const exportedKeys = new Set(decodeTraceRequest(Buffer.from(exported.body), 'json').spans.map(keyOf));
    expect([...ownInternal].every((k) => exportedKeys.has(k))).toBe(true);
    expect(exported.spanCount).toBe(own.length);

    // The timeline is its steps (made from its events), none of its plumbing.
    const timeline = await store.getTimeline(conversation);
    expect(timeline.length).toBe(own.length - ownInternal.size);
    expect(timeline.filter((s) => ownInternal.has(keyOf(s)))).toStrictEqual([]);
    expect(timeline.filter((s) => s.stepType === 'llm')).toHaveLength(usage.length);
  });
});
