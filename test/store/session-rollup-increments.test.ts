/**
 * Session rollups applied in place (one `UPDATE … SET x = x + ?` per touched
 * session and batch) stay exactly what a rebuild from the spans gives.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SpanRecord } from '../../src/model/types.js';
import { SqliteTraceStore } from '../../src/store/sqlite/index.js';
import { SessionRollup } from '../../src/store/sqlite/session-rollup.js';
import { BASE_TIME_UNIX_NANO, MILLI, makeLlmRecord, makeRecord, newTraceId, opened } from '../helpers/records.js';

describe('session rollups applied in place', () => {
  let dir: string;
  let store: SqliteTraceStore;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'skein-rollup-'));
    store = new SqliteTraceStore({ path: join(dir, 'rollup.db') });
  });
  afterEach(() => {
    store.closeSync();
    rmSync(dir, { recursive: true, force: true });
  });

  const rows = () => ({
    sessions: store.database.prepare('SELECT * FROM sessions ORDER BY session_id').safeIntegers(true).all(),
    models: store.database.prepare('SELECT * FROM session_models ORDER BY session_id, model').safeIntegers(true).all(),
  });

  /** The rows as a rebuild of every session from its spans makes them (rolled back after). */
  function rebuilt(): ReturnType<typeof rows> {
    const rollup = new SessionRollup(store.database);
    let result: ReturnType<typeof rows> | undefined;
    const ids = store.database.prepare('SELECT DISTINCT resolved_session_id FROM spans').pluck().all() as string[];
    try {
      store.transaction(() => {
        for (const id of ids) rollup.recompute(id);
        result = rows();
        throw new Error('roll back');
      });
    } catch (error) {
      if ((error as Error).message !== 'roll back') throw error;
    }
    return result!;
  }

  it('matches a rebuild from the spans after every batch: re-delivery, open then ended, errors, names, moves, internal spans', () => {
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
    const sessions = ['s0', 's1', 's2'];
    const roots = new Map(sessions.map((s) => [s, makeRecord({ sessionId: s, name: `root ${s}`, stepType: 'agent', endTimeUnixNano: null })]));
    const written: SpanRecord[] = [];
    const open: SpanRecord[] = [];
    const unkeyedTraces: string[] = [];
    let clock = BASE_TIME_UNIX_NANO;
    const at = () => (clock += BigInt(1 + Math.floor(random() * 50)) * MILLI);
    store.writeSync([...roots.values()]);
    let checked = 0;
    for (let batch = 0; batch < 60; batch++) {
      const records: SpanRecord[] = [];
      for (let i = 0; i < 5; i++) {
        const sessionId = pick(sessions);
        const root = roots.get(sessionId)!;
        const start = at();
        const end = start + BigInt(1 + Math.floor(random() * 30)) * MILLI;
        const r = random();
        let record: SpanRecord;
        if (r < 0.3) {
          // Costs in eighths: sums are exact in any order, so a rebuild may add them up differently.
          record = makeLlmRecord({
            traceId: root.traceId,
            parentSpanId: root.spanId,
            sessionId,
            startTimeUnixNano: start,
            endTimeUnixNano: end,
            requestModel: pick(['gpt-4o', 'claude']),
            responseModel: pick(['gpt-4o', 'claude', null]),
            usage: { input: Math.floor(random() * 500), output: Math.floor(random() * 90), reasoning: pick([undefined, 7]) },
            cost: pick([{ usd: 0.125, source: 'supplied' as const }, { usd: 0.5, source: 'computed' as const }, null]),
            unpriced: random() < 0.2,
          });
        } else if (r < 0.4) {
          // An agent span reporting its own total, sometimes not the sum below it.
          record = makeRecord({
            traceId: root.traceId,
            parentSpanId: root.spanId,
            sessionId,
            stepType: 'agent',
            startTimeUnixNano: start,
            endTimeUnixNano: end,
            usage: { input: pick([0, 100, 250]) },
          });
        } else if (r < 0.5) {
          record = makeRecord({ sessionId, stepType: 'tool', toolName: 't', isError: true, statusCode: 2, startTimeUnixNano: start, endTimeUnixNano: end });
        } else if (r < 0.58) {
          record = makeRecord({ traceId: root.traceId, parentSpanId: root.spanId, sessionId, agentName: pick(['planner', 'coder']), userId: pick([null, 'u1']), startTimeUnixNano: start, endTimeUnixNano: end });
        } else if (r < 0.64) {
          record = { ...makeRecord({ sessionId, name: 'plumbing', startTimeUnixNano: start, endTimeUnixNano: end }), internal: true };
        } else if (r < 0.74) {
          record = opened(makeLlmRecord({ traceId: root.traceId, parentSpanId: root.spanId, sessionId, startTimeUnixNano: start, endTimeUnixNano: end }));
          open.push({ ...record, endTimeUnixNano: end, raw: { ...record.raw, endTimeUnixNano: end } });
        } else if (r < 0.84 && open.length > 0) {
          record = open.splice(Math.floor(random() * open.length), 1)[0];
        } else if (r < 0.9 && written.length > 0) {
          // Delivered again, unchanged.
          record = pick(written);
        } else if (r < 0.95) {
          // A child without a key: its trace is its own session until a keyed span arrives.
          const traceId = newTraceId();
          unkeyedTraces.push(traceId);
          record = makeLlmRecord({ traceId, parentSpanId: 'ffffffffffffffff', startTimeUnixNano: start, endTimeUnixNano: end });
        } else if (unkeyedTraces.length > 0) {
          record = makeRecord({ traceId: unkeyedTraces.shift()!, sessionId, name: 'late key', startTimeUnixNano: start, endTimeUnixNano: end });
        } else {
          record = makeRecord({ sessionId, startTimeUnixNano: start, endTimeUnixNano: end });
        }
        records.push(record);
        if (record.endTimeUnixNano !== null) written.push(record);
      }
      store.writeSync(records);
      if (batch % 5 === 4) {
        expect({ batch, ...rows() }).toEqual({ batch, ...rebuilt() });
        checked++;
      }
    }
    // The roots end: sessions complete (or fail) in place too.
    store.writeSync([...roots.values()].map((root) => ({ ...root, endTimeUnixNano: at(), raw: { ...root.raw, endTimeUnixNano: clock } })));
    expect(rows()).toEqual(rebuilt());
    const statuses = new Set((rows().sessions as Array<{ status: string }>).map((s) => s.status));
    expect(statuses.has('completed') || statuses.has('failed')).toBe(true);
    expect(checked).toBe(12);
  });

  it('judges usage reported by an agent span against its calls however many traces the session has and the batch touches', () => {
    const mismatch = () => (rows().sessions as Array<{ usage_mismatch: bigint }>)[0].usage_mismatch;
    const agentA = makeRecord({ sessionId: 'multi', stepType: 'agent', name: 'agent a', usage: { input: 100 } });
    const callA = (input: number) =>
      makeLlmRecord({ sessionId: 'multi', traceId: agentA.traceId, parentSpanId: agentA.spanId, usage: { input, output: 0 } });
    const agentB = makeRecord({ sessionId: 'multi', stepType: 'agent', name: 'agent b', usage: { input: 10 } });
    const callB = (input: number) =>
      makeLlmRecord({ sessionId: 'multi', traceId: agentB.traceId, parentSpanId: agentB.spanId, usage: { input, output: 0 } });
    store.writeSync([callA(60), agentA]);
    expect(mismatch()).toBe(1n);
    // Another trace, agreeing: the session still disagrees (in trace a).
    store.writeSync([callB(10), agentB]);
    expect(mismatch()).toBe(1n);
    // Trace a's missing call arrives: everything agrees.
    store.writeSync([callA(40)]);
    expect(mismatch()).toBe(0n);
    // A call more in trace b: it disagrees again, though trace a was not written.
    store.writeSync([callB(1)]);
    expect(mismatch()).toBe(1n);
    expect(rows()).toEqual(rebuilt());
  });

  it('lists a session\'s models by calls, ties by name as SQLite orders them, names of any characters written as SQLite writes them', () => {
    const models = () => (rows().sessions as Array<{ models: string }>)[0].models;
    const root = makeRecord({ sessionId: 'models', stepType: 'agent', name: 'root' });
    const call = (model: string) =>
      makeLlmRecord({ sessionId: 'models', traceId: root.traceId, parentSpanId: root.spanId, requestModel: model, responseModel: null });
    store.writeSync([root, call('b'), call('a'), call('B'), call('a')]);
    // Two calls of a, then the ties by byte order: upper case first.
    expect(models()).toBe('["a","B","b"]');
    store.writeSync([call('b'), call('b'), call('\uFF5Ewide'), call('\u{1F600}smile')]);
    // UTF-16 order would put the emoji's surrogates before U+FF5E; SQLite compares UTF-8 bytes.
    expect(JSON.parse(models())).toEqual(['b', 'a', 'B', '\uFF5Ewide', '\u{1F600}smile']);
    store.writeSync([call('quote "q" back\\slash'), call('tab\tnew\nline')]);
    expect(rows()).toEqual(rebuilt());
    expect(JSON.parse(models())).toContain('quote "q" back\\slash');
  });

  it('counts a batch that delivers a session twice once, and one that ends its last open step as completed', () => {
    const root = makeRecord({ sessionId: 'twice', stepType: 'agent', name: 'root' });
    const call = makeLlmRecord({ sessionId: 'twice', traceId: root.traceId, parentSpanId: root.spanId });
    store.writeSync([opened(root), call]);
    expect(rows().sessions).toMatchObject([{ status: 'running', span_count: 2n, open_count: 1n, input_tokens: 100n }]);
    store.writeSync([call, root, call, root]);
    expect(rows().sessions).toMatchObject([{ status: 'completed', span_count: 2n, open_count: 0n, input_tokens: 100n }]);
    expect(rows()).toEqual(rebuilt());
  });
});
