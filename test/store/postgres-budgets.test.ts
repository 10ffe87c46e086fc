/**
 * Budget crossings recorded by the PostgreSQL store in the transaction that
 * caused them, once across replicas (SQLite's: budget-events.test.ts).
 */

import { describe, expect, it } from 'vitest';
import type { BudgetConfig, BudgetEventRecord } from '../../src/model/budgets.js';
import { isBudgetReader } from '../../src/store/budget-reader.js';
import { SessionNotFoundError } from '../../src/store/errors.js';
import { openedStores, usePostgres } from '../helpers/postgres-hooks.js';
import { BASE_TIME_UNIX_NANO, MILLI, SECOND, makeLlmRecord, makeRecord, newTraceId, opened } from '../helpers/records.js';

const server = usePostgres();
const { open } = openedStores();

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

const budgets: BudgetConfig = { session: { maxTokens: 1000, maxCostUsd: 1 } };

describe('budget events in the PostgreSQL store', () => {
  it('keeps the span event when the crossing span is written again (a request sent again), recording nothing new', async () => {
    const url = await server.createDatabase();
    const store = await open(url);
    const crossing = call('s5', 0, 1500, 0.1);
    expect(levels(await store.writeWithBudgets([crossing], budgets))).toEqual(['session/tokens/warning', 'session/tokens/exceeded']);
    // The same span again, as the client sent it, through another replica's store.
    const replica = await open(url);
    expect(await replica.writeWithBudgets([crossing], budgets)).toEqual([]);
    const [span] = (await store.getSpans({ sessionId: 's5', limit: 10 })).items;
    expect(span.raw.events.map((e) => e.name)).toEqual(['skein.budget.warning', 'skein.budget.exceeded']);
    expect(levels(await store.getBudgetEvents('s5'))).toEqual(['session/tokens/warning', 'session/tokens/exceeded']);
  });

  it('records each crossing once and returns it from the write that caused it', async () => {
    const store = await open(await server.createDatabase());
    expect(isBudgetReader(store)).toBe(true);
    expect(await store.writeWithBudgets([call('s1', 0, 500, 0.1)], budgets)).toEqual([]);
    const warning = call('s1', 1, 350, 0.1);
    const first = await store.writeWithBudgets([warning], budgets);
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
    expect(await store.writeWithBudgets([call('s1', 2, 50, 0.1)], budgets)).toEqual([]);
    const over = call('s1', 3, 200, 0.9);
    const second = await store.writeWithBudgets([over], budgets);
    expect(levels(second)).toEqual(['session/tokens/exceeded', 'session/costUsd/warning', 'session/costUsd/exceeded']);
    expect(second.every((e) => e.spanId === over.spanId)).toBe(true);
    expect(await store.writeWithBudgets([call('s1', 4, 5000, 5)], budgets)).toEqual([]);

    expect(await store.getBudgetEvents('s1')).toEqual([...first, ...second]);
    expect(await store.getBudgetUsage('s1')).toEqual({
      sessionId: 's1',
      agentName: null,
      userId: null,
      tokens: 6100,
      reasoningTokens: 0,
      costUsd: expect.closeTo(6.2, 9),
    });
    expect(await store.getBudgetEvents('nowhere')).toEqual([]);
    await expect(store.getBudgetUsage('nowhere')).rejects.toBeInstanceOf(SessionNotFoundError);
  });

  it('adds the span event to the stored record of the span that crossed', async () => {
    const store = await open(await server.createDatabase());
    const traceId = newTraceId();
    const calm = call('s2', 0, 100, 0.1, { traceId });
    const crossing = call('s2', 1, 1000, 0.1, { traceId });
    const later = call('s2', 2, 10, 0.1, { traceId });
    // One batch, in arrival order unlike end order: the span whose end took the session over is marked.
    await store.writeWithBudgets([later, crossing, calm], budgets);
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

  it('counts only model calls: usage repeated on the agent span does not cross', async () => {
    const store = await open(await server.createDatabase());
    const traceId = newTraceId();
    const agent = makeRecord({ traceId, sessionId: 's3', stepType: 'agent', usage: { input: 700 }, cost: { usd: 0.7, source: 'supplied' } });
    const child = call('s3', 0, 700, 0.7, { traceId, parentSpanId: agent.spanId });
    expect(await store.writeWithBudgets([child, agent], budgets)).toEqual([]);
    expect(await store.getBudgetUsage('s3')).toMatchObject({ tokens: 700, costUsd: 0.7 });
    const next = call('s3', 1, 200, 0.5, { traceId });
    expect(await store.writeWithBudgets([opened({ ...next, usage: {}, cost: null })], budgets)).toEqual([]);
    expect(levels(await store.writeWithBudgets([next], budgets))).toEqual([
      'session/tokens/warning',
      'session/costUsd/warning',
      'session/costUsd/exceeded',
    ]);
  });

  it('applies agent and user limits to their sessions, and records nothing without budgets', async () => {
    const store = await open(await server.createDatabase());
    const scoped: BudgetConfig = { agents: { researcher: { maxCostUsd: 0.2 } }, users: { alice: { maxTokens: 10 } } };
    const crossings = await store.writeWithBudgets(
      [
        call('r1', 0, 5, 0.3, { agentName: 'researcher' }),
        call('w1', 0, 5, 0.3, { agentName: 'writer' }),
        call('a1', 0, 50, 0.01, { userId: 'alice' }),
      ],
      scoped,
    );
    expect(crossings.map((c) => `${c.sessionId} ${c.scope}:${c.key}/${c.metric}/${c.level}`).sort()).toEqual([
      'a1 user:alice/tokens/exceeded',
      'a1 user:alice/tokens/warning',
      'r1 agent:researcher/costUsd/exceeded',
      'r1 agent:researcher/costUsd/warning',
    ]);
    expect(await store.getBudgetEvents('w1')).toEqual([]);
    await store.write([call('s4', 0, 5000, 5)]);
    expect(await store.writeWithBudgets([call('s4', 1, 1, 0.01)], {})).toEqual([]);
    expect(await store.getBudgetEvents('s4')).toEqual([]);
  });

  it('records each crossing once when replicas write the session at the same time', async () => {
    const url = await server.createDatabase();
    const replicas = await Promise.all([open(url), open(url), open(url), open(url)]);
    const shared: BudgetConfig = { session: { maxTokens: 100, maxCostUsd: 0.5 } };
    // 4 replicas × 20 calls of 10 tokens and $0.01, one call per write, all at once.
    const reported = await Promise.all(
      replicas.map(async (replica, r) => {
        const recorded: BudgetEventRecord[] = [];
        for (let i = 0; i < 20; i++) {
          const record = makeLlmRecord({
            sessionId: 'shared',
            name: `r${r}-${i}`,
            startTimeUnixNano: BASE_TIME_UNIX_NANO + BigInt(r * 20 + i) * SECOND,
            usage: { input: 6, output: 4 },
            cost: { usd: 0.01, source: 'supplied' },
          });
          recorded.push(...(await replica.writeWithBudgets([record], shared)));
        }
        return recorded;
      }),
    );
    const expected = ['session/costUsd/exceeded', 'session/costUsd/warning', 'session/tokens/exceeded', 'session/tokens/warning'];
    expect(levels(reported.flat()).sort()).toEqual(expected);
    const stored = await replicas[0].getBudgetEvents('shared');
    expect(levels(stored).sort()).toEqual(expected);
    expect((await replicas[0].readChanges(0, { limit: 10_000 })).filter((e) => e.kind === 'budget')).toHaveLength(4);
    // Writes of one session are serialized: the warning at 80 tokens and the limit at 100, whoever wrote them.
    expect(stored.find((e) => e.metric === 'tokens' && e.level === 'warning')?.used).toBe(80);
    expect(stored.find((e) => e.metric === 'tokens' && e.level === 'exceeded')?.used).toBe(100);
    expect(await replicas[1].getBudgetUsage('shared')).toMatchObject({ tokens: 800 });
  }, 60_000);

  it("forgets a deleted session's crossings", async () => {
    const store = await open(await server.createDatabase());
    await store.writeWithBudgets([call('s6', 0, 5000, 5)], budgets);
    expect(await store.getBudgetEvents('s6')).toHaveLength(4);
    await store.deleteSession('s6');
    expect(await store.getBudgetEvents('s6')).toEqual([]);
    expect(await store.writeWithBudgets([call('s6', 1, 5000, 5)], budgets)).toHaveLength(4);
  });
});
