/** Budget crossings recorded by the SQLite store in the transaction that caused them. */

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BudgetConfig, BudgetEventRecord } from '../../src/model/budgets.js';
import type { BudgetEvent, ChangeEvent } from '../../src/model/live-event.js';
import { SqliteTraceStore } from '../../src/store/sqlite/index.js';
import { BASE_TIME_UNIX_NANO, MILLI, SECOND, makeLlmRecord, makeRecord, newTraceId, opened } from '../helpers/records.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/store/budget-writer.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

const budgetEvents = (events: ChangeEvent[]) => events.filter((e): e is BudgetEvent => e.kind === 'budget');
const levels = (events: readonly BudgetEventRecord[]) => events.map((e) => `${e.scope}/${e.metric}/${e.level}`);

/** A model call of `tokens` total tokens (input only) and `usd`, in `sessionId`, ending `i` seconds in. */
function call(sessionId: string, i: number, tokens: number, usd: number, extra: Parameters<typeof makeLlmRecord>[0] = {}) {
  return makeLlmRecord({
    sessionId,
    name: `call-${i}`,
    startTimeUnixNano: BASE_TIME_UNIX_NANO + BigInt(i) * SECOND,
    endTimeUnixNano: BASE_TIME_UNIX_NANO + BigInt(i) * SECOND + 500n * MILLI,
    usage: { input: tokens, output: 0 },
    cost: { usd, source: 'supplied' },
    ...extra,
  });
}

describe('budget events in the SQLite store', () => {
  let dir: string;
  let path: string;
  const stores: SqliteTraceStore[] = [];
  const open = () => {
    const store = new SqliteTraceStore({ path });
    stores.push(store);
    return store;
  };
  const budgets: BudgetConfig = { session: { maxTokens: 1000, maxCostUsd: 1 } };
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'skein-budget-'));
    path = join(dir, 'budget.db');
  });
  afterEach(() => {
    for (const store of stores.splice(0)) store.closeSync();
    rmSync(dir, { recursive: true, force: true });
  });

  it('records each crossing once, returns it from the write that caused it and feeds it to the stream', async () => {
    const store = open();
    expect(store.writeSync([call('s1', 0, 500, 0.1)], { budgets })).toEqual([]);
    const warning = call('s1', 1, 350, 0.1);
    const first = store.writeSync([warning], { budgets });
    expect(first).toEqual([
      expect.objectContaining({
        sessionId: 's1',
        scope: 'session',
        key: 's1',
        metric: 'tokens',
        level: 'warning',
        limit: 1000,
        used: 850,
        traceId: warning.traceId,
        spanId: warning.spanId,
      }),
    ]);
    expect(store.writeSync([call('s1', 2, 50, 0.1)], { budgets })).toEqual([]);
    const over = call('s1', 3, 200, 0.9);
    const second = store.writeSync([over], { budgets });
    expect(levels(second)).toEqual(['session/tokens/exceeded', 'session/costUsd/warning', 'session/costUsd/exceeded']);
    expect(second.every((e) => e.spanId === over.spanId)).toBe(true);
    expect(store.writeSync([call('s1', 4, 5000, 5)], { budgets })).toEqual([]);

    const stored = await store.getBudgetEvents('s1');
    expect(stored).toEqual([...first, ...second]);
    expect(await store.getBudgetUsage('s1')).toEqual({
      sessionId: 's1',
      agentName: null,
      userId: null,
      tokens: 6100,
      reasoningTokens: 0,
      costUsd: expect.closeTo(6.2, 9),
    });

    const feed = store.readChanges(0, { limit: 1000 });
    const streamed = budgetEvents(feed);
    expect(streamed.map((e) => `${e.budget.metric}/${e.budget.level}`)).toEqual([
      'tokens/warning',
      'tokens/exceeded',
      'costUsd/warning',
      'costUsd/exceeded',
    ]);
    expect(streamed[0]).toMatchObject({
      sessionId: 's1',
      budget: { scope: 'session', key: 's1', limit: 1000, used: 850, traceId: warning.traceId, spanId: warning.spanId },
    });
    // After the session update of the same commit: a client sees the totals that crossed first.
    const at = feed.indexOf(streamed[0]);
    expect(feed[at - 1]).toMatchObject({ kind: 'session.updated', session: { tokens: { input: 850 } } });
  });

  it('adds the span event to the stored record of the span that crossed', async () => {
    const store = open();
    const traceId = newTraceId();
    const calm = call('s2', 0, 100, 0.1, { traceId });
    const crossing = call('s2', 1, 1000, 0.1, { traceId });
    const later = call('s2', 2, 10, 0.1, { traceId });
    // One batch, in arrival order unlike end order: the span whose end took the session over is marked.
    store.writeSync([later, crossing, calm], { budgets });
    const spans = (await store.getSpans({ sessionId: 's2', limit: 10 })).items;
    const eventsOf = (spanId: string) => spans.find((s) => s.spanId === spanId)!.raw.events;
    expect(eventsOf(calm.spanId)).toEqual([]);
    expect(eventsOf(later.spanId)).toEqual([]);
    expect(eventsOf(crossing.spanId)).toEqual([
      {
        name: 'skein.budget.warning',
        timeUnixNano: crossing.endTimeUnixNano,
        attributes: {
          'skein.budget.scope': 'session',
          'skein.budget.key': 's2',
          'skein.budget.metric': 'tokens',
          'skein.budget.limit': 1000,
          'skein.budget.used': 1110,
        },
        droppedAttributesCount: 0,
      },
      expect.objectContaining({ name: 'skein.budget.exceeded', attributes: expect.objectContaining({ 'skein.budget.used': 1110 }) }),
    ]);
  });

  it('keeps the span event when the crossing span is written again (a request sent again), recording nothing new', async () => {
    const store = open();
    const crossing = call('s5', 0, 1500, 0.1);
    expect(levels(store.writeSync([crossing], { budgets }) as BudgetEventRecord[])).toEqual(['session/tokens/warning', 'session/tokens/exceeded']);
    // The same span again, as the client sent it: without the events Skein added.
    expect(store.writeSync([{ ...crossing, raw: { ...crossing.raw, events: [] } }], { budgets })).toEqual([]);
    expect(store.writeSync([crossing], { budgets })).toEqual([]);
    const [span] = (await store.getSpans({ sessionId: 's5', limit: 10 })).items;
    expect(span.raw.events.map((e) => e.name)).toEqual(['skein.budget.warning', 'skein.budget.exceeded']);
    expect(levels(await store.getBudgetEvents('s5'))).toEqual(['session/tokens/warning', 'session/tokens/exceeded']);
  });

  it('counts only model calls: usage repeated on the agent span does not cross', async () => {
    const store = open();
    const traceId = newTraceId();
    const agent = makeRecord({ traceId, sessionId: 's3', stepType: 'agent', usage: { input: 700 }, cost: { usd: 0.7, source: 'supplied' } });
    const child = call('s3', 0, 700, 0.7, { traceId, parentSpanId: agent.spanId });
    expect(store.writeSync([child, agent], { budgets })).toEqual([]);
    expect(await store.getBudgetUsage('s3')).toMatchObject({ tokens: 700, costUsd: 0.7 });
    // A model call written at its start (no usage yet) changes nothing.
    const next = call('s3', 1, 200, 0.5, { traceId });
    expect(store.writeSync([opened({ ...next, usage: {}, cost: null })], { budgets })).toEqual([]);
    expect(levels(store.writeSync([next], { budgets }))).toEqual(['session/tokens/warning', 'session/costUsd/warning', 'session/costUsd/exceeded']);
  });

  it('applies agent and user limits to their sessions', async () => {
    const store = open();
    const scoped: BudgetConfig = { agents: { researcher: { maxCostUsd: 0.2 } }, users: { alice: { maxTokens: 10 } } };
    const crossings = store.writeSync(
      [
        call('r1', 0, 5, 0.3, { agentName: 'researcher' }),
        call('w1', 0, 5, 0.3, { agentName: 'writer' }),
        call('a1', 0, 50, 0.01, { userId: 'alice' }),
      ],
      { budgets: scoped },
    );
    expect(crossings.map((c) => `${c.sessionId} ${c.scope}:${c.key}/${c.metric}/${c.level}`).sort()).toEqual([
      'a1 user:alice/tokens/exceeded',
      'a1 user:alice/tokens/warning',
      'r1 agent:researcher/costUsd/exceeded',
      'r1 agent:researcher/costUsd/warning',
    ]);
    expect(await store.getBudgetEvents('w1')).toEqual([]);
  });

  it('records nothing without budgets, and nothing of a write that rolled back', async () => {
    const store = open();
    expect(store.writeSync([call('s4', 0, 5000, 5)])).toEqual([]);
    expect(await store.getBudgetEvents('s4')).toEqual([]);
    const before = store.latestChangeSeq();
    expect(() =>
      store.transaction(() => {
        expect(store.writeSync([call('s4', 1, 1, 0.01)], { budgets })).toHaveLength(4);
        throw new Error('the outbox insert failed');
      }),
    ).toThrow('the outbox insert failed');
    expect(await store.getBudgetEvents('s4')).toEqual([]);
    expect(store.latestChangeSeq()).toBe(before);
    // The span write and the crossing went together; the next write records it.
    expect(levels(store.writeSync([call('s4', 2, 1, 0.01)], { budgets }))).toEqual([
      'session/tokens/warning',
      'session/tokens/exceeded',
      'session/costUsd/warning',
      'session/costUsd/exceeded',
    ]);
    expect(budgetEvents(store.readChanges(before, { limit: 100 }))).toHaveLength(4);
  });

  it('is recorded once when two connections write the session', async () => {
    const a = open();
    const b = open();
    expect(a.writeSync([call('s5', 0, 900, 0.1)], { budgets })).toHaveLength(1);
    // b sees a's warning (committed) and records only what is new.
    expect(levels(b.writeSync([call('s5', 1, 200, 0.1)], { budgets }))).toEqual(['session/tokens/exceeded']);
    expect(a.writeSync([call('s5', 2, 1, 0.1)], { budgets })).toEqual([]);
    expect(levels(await a.getBudgetEvents('s5'))).toEqual(['session/tokens/warning', 'session/tokens/exceeded']);
  });

  it('is recorded once when two processes write the session at the same time', async () => {
    const run = (label: string) =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, path, 'shared', '40', label], {
          cwd: ROOT,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        child.once('exit', (code) => resolve({ code, stdout, stderr }));
      });
    // Created first so the two children do not also race the migration.
    open().closeSync();
    const [x, y] = await Promise.all([run('x'), run('y')]);
    expect(x).toMatchObject({ code: 0, stderr: '' });
    expect(y).toMatchObject({ code: 0, stderr: '' });
    const reported = [...x.stdout.split('\n'), ...y.stdout.split('\n')]
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as BudgetEventRecord);
    const expected = ['session/costUsd/warning', 'session/costUsd/exceeded', 'session/tokens/warning', 'session/tokens/exceeded'];
    expect(levels(reported).sort()).toEqual([...expected].sort());

    const store = open();
    expect(levels(await store.getBudgetEvents('shared')).sort()).toEqual([...expected].sort());
    expect(budgetEvents(store.readChanges(0, { limit: 10_000 }))).toHaveLength(4);
    // 80 calls of 10 tokens: the warning at 80 tokens and the limit at 100, whoever wrote them.
    const tokensExceeded = (await store.getBudgetEvents('shared')).find((e) => e.metric === 'tokens' && e.level === 'exceeded');
    expect(tokensExceeded?.used).toBe(100);
  });

  it('forgets a deleted session\'s crossings', async () => {
    const store = open();
    store.writeSync([call('s6', 0, 5000, 5)], { budgets });
    expect(await store.getBudgetEvents('s6')).toHaveLength(4);
    await store.deleteSession('s6');
    expect(await store.getBudgetEvents('s6')).toEqual([]);
    expect(levels(store.writeSync([call('s6', 1, 5000, 5)], { budgets }))).toHaveLength(4);
  });
});
