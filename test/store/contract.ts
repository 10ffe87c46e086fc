/**
 * The TraceStore contract. Every backend's test file calls
 * `runTraceStoreContract(name, open)`; a backend is done when this passes.
 */

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidQueryError, SessionNotFoundError } from '../../src/store/errors.js';
import type { TraceStore } from '../../src/store/trace-store.js';
import type { SessionSummary, SpanRecord } from '../../src/model/types.js';
import {
  BASE_TIME_UNIX_NANO,
  MILLI,
  SECOND,
  ended,
  makeLlmRecord,
  makeRecord,
  newSpanId,
  newTraceId,
  opened,
} from '../helpers/records.js';
import { runSignalContract } from './signal-contract.js';

export interface OpenedStore {
  store: TraceStore;
  cleanup(): Promise<void>;
}

const DAY_MILLIS = 24 * 60 * 60 * 1000;
const nowNanos = (): bigint => BigInt(Date.now()) * MILLI;

/** A record carrying every field a SpanRecord can hold, with values that break lossy storage. */
export function makeFullRecord(): SpanRecord {
  const traceId = newTraceId();
  const spanId = newSpanId();
  const start = BASE_TIME_UNIX_NANO + 123_456_789n; // not representable as a double
  return makeLlmRecord({
    traceId,
    spanId,
    parentSpanId: newSpanId(),
    sessionId: 'full-session',
    name: 'chat claude',
    operationName: 'chat',
    startTimeUnixNano: start,
    endTimeUnixNano: start + 1_234_567_891n,
    statusCode: 2,
    statusMessage: 'rate limited',
    isError: true,
    provider: 'anthropic',
    requestModel: 'claude-x',
    responseModel: 'claude-x-2025',
    agentName: 'planner',
    agentId: 'agent-7',
    userId: 'user-1',
    toolName: 'search',
    toolCallId: 'call_1',
    usage: { input: 11, output: 22, reasoning: 3, cacheRead: 4, cacheWrite: 5, total: 33 },
    cost: { usd: 0.000123, source: 'computed' },
    unpriced: false,
    input: { text: 'what is the weather in Paris?', originalLength: 29, truncated: false },
    output: { text: 'Sunny, 21°C [approx]…', originalLength: 5000, truncated: true },
    reasoning: { text: 'the user wants weather', originalLength: 22, truncated: false },
    counts: { coerced: 1, dropped: 2, truncated: 3, redacted: 4 },
    truncatedLengths: { 'attributes.big': 9000, name: 12 },
    raw: {
      traceState: 'vendor=abc',
      flags: 0x301,
      name: 'chat claude (raw name)',
      kind: 3,
      attributes: {
        str: 'text',
        int: 42,
        bigInt: 9_007_199_254_740_993n,
        negBig: -9_223_372_036_854_775_808n,
        dbl: 3.5,
        nan: Number.NaN,
        inf: Number.POSITIVE_INFINITY,
        bool: false,
        bytes: new Uint8Array([0, 1, 254, 255]),
        empty: null,
        list: ['a', 1, true, null, [2n]],
        map: { nested: { deep: 'x' }, $i: 'not a bigint' },
        lookalike: { $i: '12' },
        lookalikeBytes: { $b: 'AAEC' },
      },
      droppedAttributesCount: 2,
      events: [
        {
          name: 'exception',
          timeUnixNano: start + 5n,
          attributes: { 'exception.type': 'RateLimit', n: 1n << 60n },
          droppedAttributesCount: 1,
        },
      ],
      droppedEventsCount: 3,
      links: [
        {
          traceId: newTraceId(),
          spanId: newSpanId(),
          traceState: 'k=v',
          attributes: { why: 'retry-of' },
          droppedAttributesCount: 0,
          flags: 1,
        },
      ],
      droppedLinksCount: 4,
      statusCode: 2,
      statusMessage: 'rate limited',
      resource: {
        attributes: { 'service.name': 'full', 'host.id': new Uint8Array([9, 9]) },
        droppedAttributesCount: 1,
        schemaUrl: 'https://opentelemetry.io/schemas/1.26.0',
      },
      scope: {
        name: '@skein/test',
        version: '9.9.9',
        attributes: { 'scope.attr': 1.25 },
        droppedAttributesCount: 2,
        schemaUrl: 'https://example.com/scope',
      },
    },
  });
}

export function runTraceStoreContract(name: string, open: () => Promise<OpenedStore>): void {
  describe(`TraceStore contract: ${name}`, () => {
    let opened_: OpenedStore;
    let store: TraceStore;

    beforeEach(async () => {
      opened_ = await open();
      store = opened_.store;
    });
    afterEach(async () => {
      await opened_.cleanup();
    });

    const spansOfTrace = async (traceId: string) => (await store.getSpans({ traceId, limit: 1000 })).items;

    describe('write and read back', () => {
      it('keeps every field exactly, including nanoseconds past 2^53 and every attribute type', async () => {
        const record = makeFullRecord();
        await store.write([record]);
        const [stored] = await spansOfTrace(record.traceId);
        expect(stored).toStrictEqual({ ...record, resolvedSessionId: 'full-session', interrupted: false });
        expect(stored.startTimeUnixNano).toBe(BASE_TIME_UNIX_NANO + 123_456_789n);
        expect(stored.raw.attributes.bigInt).toBe(9_007_199_254_740_993n);
        expect(stored.raw.attributes.lookalike).toStrictEqual({ $i: '12' });
        expect(stored.raw.attributes.bytes).toBeInstanceOf(Uint8Array);
      });

      it('keeps a record with no optional fields as it was (absent usage stays absent)', async () => {
        const record = makeRecord({ name: 'bare' });
        await store.write([record]);
        const [stored] = await spansOfTrace(record.traceId);
        expect(stored).toStrictEqual({ ...record, resolvedSessionId: record.traceId, interrupted: false });
        expect(stored.usage).toStrictEqual({});
      });

      it('is idempotent: writing the same spans again changes nothing', async () => {
        const traceId = newTraceId();
        const batch = [
          makeLlmRecord({ traceId, sessionId: 's-idem' }),
          makeLlmRecord({ traceId }),
          makeRecord({ traceId, stepType: 'tool', toolName: 'grep' }),
        ];
        await store.write(batch);
        const first = await store.getSession('s-idem');
        await store.write(batch);
        await store.write([batch[1]]);
        expect(await store.getSession('s-idem')).toStrictEqual(first);
        expect(await spansOfTrace(traceId)).toHaveLength(3);
        expect(first.spanCount).toBe(3);
        expect(first.tokens.input).toBe(200);
      });

      it('completes an open step written at start with the record written at its end', async () => {
        const record = makeLlmRecord({ sessionId: 's-open' });
        await store.write([opened(record)]);
        const running = await store.getSession('s-open');
        expect(running.status).toBe('running');
        expect(running.openCount).toBe(1);
        expect(running.lastEndUnixNano).toBeNull();
        const [step] = await store.getTimeline('s-open');
        expect(step.open).toBe(true);
        expect(step.endTimeUnixNano).toBeNull();

        const end = record.startTimeUnixNano + 3n * SECOND;
        await store.write([ended(record, end)]);
        const done = await store.getSession('s-open');
        expect(done.status).toBe('completed');
        expect(done.openCount).toBe(0);
        expect(done.spanCount).toBe(1);
        expect(done.lastEndUnixNano).toBe(end);
        const [after] = await spansOfTrace(record.traceId);
        expect(after.endTimeUnixNano).toBe(end);
      });

      it('never lets an open record undo an ended one (late or duplicated start)', async () => {
        const record = makeLlmRecord({ sessionId: 's-late-open' });
        await store.write([record]);
        await store.write([opened(record)]);
        const [stored] = await spansOfTrace(record.traceId);
        expect(stored.endTimeUnixNano).toBe(record.endTimeUnixNano);
        expect((await store.getSession('s-late-open')).status).toBe('completed');
      });

      it('handles start and end of one step in the same batch', async () => {
        const record = makeRecord({ sessionId: 's-same-batch' });
        await store.write([opened(record), record]);
        expect((await store.getSession('s-same-batch')).status).toBe('completed');
        await store.write([record, opened(record)]);
        expect((await store.getSession('s-same-batch')).openCount).toBe(0);
      });

      it('accepts an empty batch', async () => {
        await store.write([]);
        expect((await store.listSessions()).items).toEqual([]);
      });
    });

    describe('rollups', () => {
      const agentRun = (agentUsage: SpanRecord['usage']) => {
        const traceId = newTraceId();
        const agent = makeRecord({
          traceId,
          sessionId: 'run',
          name: 'invoke_agent planner',
          stepType: 'agent',
          agentName: 'planner',
          usage: agentUsage,
          cost: { usd: 0.5, source: 'supplied' },
          endTimeUnixNano: BASE_TIME_UNIX_NANO + 10n * SECOND,
        });
        const calls = [1n, 2n].map((i) =>
          makeLlmRecord({
            traceId,
            parentSpanId: agent.spanId,
            startTimeUnixNano: BASE_TIME_UNIX_NANO + i * SECOND,
            usage: { input: 100, output: 20, reasoning: 5, cacheRead: 10, cacheWrite: 1 },
            cost: { usd: 0.25, source: 'supplied' },
          }),
        );
        const tool = makeRecord({
          traceId,
          parentSpanId: agent.spanId,
          stepType: 'tool',
          toolName: 'search',
          usage: { input: 7 },
          startTimeUnixNano: BASE_TIME_UNIX_NANO + 3n * SECOND,
        });
        return { agent, calls, tool };
      };

      it('sums tokens and cost from model calls only, not from an agent span repeating them', async () => {
        const { agent, calls, tool } = agentRun({ input: 200, output: 40, reasoning: 10, cacheRead: 20, cacheWrite: 2 });
        await store.write([...calls, tool, agent]);
        const session = await store.getSession('run');
        expect(session.tokens).toStrictEqual({ input: 200, output: 40, reasoning: 10, cacheRead: 20, cacheWrite: 2 });
        expect(session.costUsd).toBe(0.5);
        expect(session.suppliedCostUsd).toBe(0.5);
        expect(session.computedCostUsd).toBe(0);
        expect(session.llmCallCount).toBe(2);
        expect(session.toolCallCount).toBe(1);
        expect(session.spanCount).toBe(4);
        expect(session.usageMismatch).toBe(false);
        expect(session.agentName).toBe('planner');
        expect(session.models).toStrictEqual(['gpt-4o-2024-08-06']);
        // The agent span keeps its usage as reported.
        const [stored] = (await store.getSpans({ sessionId: 'run', stepType: 'agent' })).items;
        expect(stored.usage).toStrictEqual({ input: 200, output: 40, reasoning: 10, cacheRead: 20, cacheWrite: 2 });
      });

      it('flags usage on an agent span that disagrees with its model calls, without adding it', async () => {
        const { agent, calls } = agentRun({ input: 999, output: 40 });
        await store.write([agent, ...calls]);
        const session = await store.getSession('run');
        expect(session.usageMismatch).toBe(true);
        expect(session.tokens.input).toBe(200);
      });

      it('counts computed cost, supplied cost and unpriced calls separately', async () => {
        const traceId = newTraceId();
        await store.write([
          makeLlmRecord({ traceId, sessionId: 'costs', cost: { usd: 0.5, source: 'supplied' } }),
          makeLlmRecord({ traceId, cost: { usd: 0.125, source: 'computed' }, responseModel: 'gpt-4o-mini' }),
          makeLlmRecord({ traceId, cost: null, unpriced: true, requestModel: 'mystery', responseModel: null }),
          makeRecord({ traceId, stepType: 'tool', cost: { usd: 9, source: 'supplied' } }),
        ]);
        const session = await store.getSession('costs');
        expect(session.costUsd).toBe(0.625);
        expect(session.suppliedCostUsd).toBe(0.5);
        expect(session.computedCostUsd).toBe(0.125);
        expect(session.unpricedCallCount).toBe(1);
        expect([...session.models].sort()).toStrictEqual(['gpt-4o-2024-08-06', 'gpt-4o-mini', 'mystery']);
      });

      it('derives status: failed when a root step errs, completed when only a child does', async () => {
        const t1 = newTraceId();
        const root1 = makeRecord({ traceId: t1, sessionId: 'child-error' });
        await store.write([root1, makeRecord({ traceId: t1, parentSpanId: root1.spanId, isError: true, statusCode: 2 })]);
        const childError = await store.getSession('child-error');
        expect(childError.status).toBe('completed');
        expect(childError.errorCount).toBe(1);

        await store.write([makeRecord({ sessionId: 'root-error', isError: true, statusCode: 2 })]);
        expect((await store.getSession('root-error')).status).toBe('failed');
      });

      it('keeps first start, last end, user and trace ids', async () => {
        const t1 = newTraceId();
        const t2 = newTraceId();
        await store.write([
          makeRecord({ traceId: t1, sessionId: 'spans-time', startTimeUnixNano: BASE_TIME_UNIX_NANO + SECOND, userId: 'u-9' }),
          makeRecord({
            traceId: t2,
            sessionId: 'spans-time',
            startTimeUnixNano: BASE_TIME_UNIX_NANO,
            endTimeUnixNano: BASE_TIME_UNIX_NANO + 60n * SECOND,
          }),
        ]);
        const session = await store.getSession('spans-time');
        expect(session.firstStartUnixNano).toBe(BASE_TIME_UNIX_NANO);
        expect(session.lastEndUnixNano).toBe(BASE_TIME_UNIX_NANO + 60n * SECOND);
        expect(session.userId).toBe('u-9');
        expect([...session.traceIds].sort()).toStrictEqual([t1, t2].sort());
      });
    });

    describe('sessions', () => {
      it('gives a span without a key its trace session, and a trace without any key its own session', async () => {
        const traceId = newTraceId();
        const root = makeRecord({ traceId, name: 'root' });
        const child = makeRecord({ traceId, parentSpanId: root.spanId, name: 'child' });
        await store.write([root, child]);
        const session = await store.getSession(traceId);
        expect(session.spanCount).toBe(2);
        expect(session.traceIds).toStrictEqual([traceId]);
        const spans = await spansOfTrace(traceId);
        expect(spans.map((s) => s.resolvedSessionId)).toStrictEqual([traceId, traceId]);
        expect(spans.every((s) => s.sessionId === null)).toBe(true);
      });

      it('moves a trace to the session key that arrives late on its root, fixing both rollups', async () => {
        const traceId = newTraceId();
        const root = makeRecord({ traceId, sessionId: 'late-key', stepType: 'agent', name: 'root' });
        const call = makeLlmRecord({ traceId, parentSpanId: root.spanId });
        const tool = makeRecord({ traceId, parentSpanId: root.spanId, stepType: 'tool' });
        // Children end first, so they arrive before the root that carries session.id.
        await store.write([call]);
        await store.write([tool]);
        expect((await store.getSession(traceId)).llmCallCount).toBe(1);

        await store.write([root]);
        await expect(store.getSession(traceId)).rejects.toBeInstanceOf(SessionNotFoundError);
        const session = await store.getSession('late-key');
        expect(session.spanCount).toBe(3);
        expect(session.llmCallCount).toBe(1);
        expect(session.toolCallCount).toBe(1);
        expect(session.tokens.input).toBe(100);
        expect(session.traceIds).toStrictEqual([traceId]);
        const spans = await spansOfTrace(traceId);
        expect(new Set(spans.map((s) => s.resolvedSessionId))).toStrictEqual(new Set(['late-key']));
        const listed = await store.listSessions();
        expect(listed.items.map((s) => s.sessionId)).toStrictEqual(['late-key']);

        // A span arriving after the root inherits the key too.
        await store.write([makeRecord({ traceId, parentSpanId: root.spanId })]);
        expect((await store.getSession('late-key')).spanCount).toBe(4);
      });

      it('resolves a late key the same way when children and root arrive in one batch', async () => {
        const traceId = newTraceId();
        const root = makeRecord({ traceId, sessionId: 'one-batch', stepType: 'agent' });
        const children = [makeLlmRecord({ traceId, parentSpanId: root.spanId }), makeLlmRecord({ traceId, parentSpanId: root.spanId })];
        await store.write([...children, root, makeRecord({ traceId, parentSpanId: root.spanId })]);
        const session = await store.getSession('one-batch');
        expect(session.spanCount).toBe(4);
        expect(session.llmCallCount).toBe(2);
        expect(session.tokens.input).toBe(200);
        await expect(store.getSession(traceId)).rejects.toBeInstanceOf(SessionNotFoundError);
      });

      it('moves open steps with their trace and keeps them open', async () => {
        const traceId = newTraceId();
        const root = makeRecord({ traceId, sessionId: 'moved-open', stepType: 'agent' });
        const running = makeRecord({ traceId, parentSpanId: root.spanId });
        await store.write([opened(running)]);
        expect((await store.getSession(traceId)).status).toBe('running');
        await store.write([root]);
        const session = await store.getSession('moved-open');
        expect(session.status).toBe('running');
        expect(session.openCount).toBe(1);
        await store.write([running]);
        expect((await store.getSession('moved-open')).status).toBe('completed');
      });

      it('lets a span keep its own key when its trace already belongs to another session', async () => {
        const traceId = newTraceId();
        await store.write([
          makeRecord({ traceId, sessionId: 'first' }),
          makeRecord({ traceId }),
          makeRecord({ traceId, sessionId: 'second' }),
        ]);
        expect((await store.getSession('first')).spanCount).toBe(2);
        expect((await store.getSession('second')).spanCount).toBe(1);
      });

      it('gathers several traces with the same key into one session', async () => {
        const traces = [newTraceId(), newTraceId(), newTraceId()];
        await store.write(traces.map((traceId) => makeLlmRecord({ traceId, sessionId: 'conversation' })));
        const session = await store.getSession('conversation');
        expect(session.spanCount).toBe(3);
        expect([...session.traceIds].sort()).toStrictEqual([...traces].sort());
        expect(session.tokens.input).toBe(300);
      });

      it('throws SessionNotFoundError for a missing session everywhere', async () => {
        await expect(store.getSession('nope')).rejects.toBeInstanceOf(SessionNotFoundError);
        await expect(store.getTimeline('nope')).rejects.toBeInstanceOf(SessionNotFoundError);
        await expect(store.getTree('nope')).rejects.toBeInstanceOf(SessionNotFoundError);
        await expect(store.deleteSession('nope')).rejects.toBeInstanceOf(SessionNotFoundError);
        const error = await store.getSession('nope').catch((e: unknown) => e);
        expect((error as SessionNotFoundError).sessionId).toBe('nope');
      });
    });

    describe('listSessions', () => {
      /** Sessions s0..s{n-1}, s{i} starting i seconds after the base, with i model calls (at least one span). */
      const writeSessions = async (count: number, base = BASE_TIME_UNIX_NANO, prefix = 's') => {
        const records: SpanRecord[] = [];
        for (let i = 0; i < count; i++) {
          const traceId = newTraceId();
          const start = base + BigInt(i) * SECOND;
          records.push(
            makeRecord({
              traceId,
              sessionId: `${prefix}${i}`,
              stepType: 'agent',
              agentName: i % 2 === 0 ? 'even' : 'odd',
              userId: `user-${i % 3}`,
              startTimeUnixNano: start,
              endTimeUnixNano: start + BigInt(i + 1) * MILLI,
              isError: i === 4,
            }),
          );
          for (let c = 0; c < i; c++) {
            records.push(
              makeLlmRecord({
                traceId,
                startTimeUnixNano: start,
                endTimeUnixNano: start + BigInt(i + 1) * MILLI,
                responseModel: i % 2 === 0 ? 'model-even' : 'model-odd',
                usage: { input: 10, output: 1 },
                cost: { usd: 0.5, source: 'supplied' },
              }),
            );
          }
        }
        await store.write(records);
      };
      const ids = (sessions: SessionSummary[]) => sessions.map((s) => s.sessionId);

      it('sorts by recent activity by default and by the other keys on request', async () => {
        await writeSessions(5);
        expect(ids((await store.listSessions()).items)).toStrictEqual(['s4', 's3', 's2', 's1', 's0']);
        expect(ids((await store.listSessions({ sort: 'oldest' })).items)).toStrictEqual(['s0', 's1', 's2', 's3', 's4']);
        expect(ids((await store.listSessions({ sort: 'cost' })).items)).toStrictEqual(['s4', 's3', 's2', 's1', 's0']);
        expect(ids((await store.listSessions({ sort: 'tokens' })).items)).toStrictEqual(['s4', 's3', 's2', 's1', 's0']);
        expect(ids((await store.listSessions({ sort: 'duration' })).items)).toStrictEqual(['s4', 's3', 's2', 's1', 's0']);
      });

      it('filters by status, agent, user, model, tokens, cost and time', async () => {
        await writeSessions(6);
        expect(ids((await store.listSessions({ status: 'failed' })).items)).toStrictEqual(['s4']);
        expect(ids((await store.listSessions({ agentName: 'odd' })).items)).toStrictEqual(['s5', 's3', 's1']);
        expect(ids((await store.listSessions({ userId: 'user-0' })).items)).toStrictEqual(['s3', 's0']);
        expect(ids((await store.listSessions({ model: 'model-even' })).items)).toStrictEqual(['s4', 's2']);
        expect(ids((await store.listSessions({ minTokens: 33 })).items)).toStrictEqual(['s5', 's4', 's3']);
        expect(ids((await store.listSessions({ minCostUsd: 2 })).items)).toStrictEqual(['s5', 's4']);
        expect(
          ids((await store.listSessions({ fromUnixNano: BASE_TIME_UNIX_NANO + 3n * SECOND })).items),
        ).toStrictEqual(['s5', 's4', 's3']);
        expect(
          ids((await store.listSessions({ toUnixNano: BASE_TIME_UNIX_NANO + 2n * SECOND })).items),
        ).toStrictEqual(['s1', 's0']);
        expect(ids((await store.listSessions({ agentName: 'odd', minTokens: 40 })).items)).toStrictEqual(['s5']);
      });

      it('pages with a cursor, stable while new sessions arrive', async () => {
        await writeSessions(7);
        const seen: string[] = [];
        let page = await store.listSessions({ limit: 3 });
        seen.push(...ids(page.items));
        expect(page.nextCursor).not.toBeNull();
        // Newer sessions arrive between pages: they belong before page 1 and must not shift later pages.
        await writeSessions(3, BASE_TIME_UNIX_NANO + 100n * SECOND, 'new');
        await store.write([makeRecord({ sessionId: 'newest', startTimeUnixNano: BASE_TIME_UNIX_NANO + 1000n * SECOND })]);
        while (page.nextCursor !== null) {
          page = await store.listSessions({ limit: 3, cursor: page.nextCursor });
          seen.push(...ids(page.items));
        }
        expect(seen).toStrictEqual(['s6', 's5', 's4', 's3', 's2', 's1', 's0']);
      });

      it('pages through every session exactly once for each sort', async () => {
        await writeSessions(7);
        for (const sort of ['recent', 'oldest', 'cost', 'tokens', 'duration'] as const) {
          const seen: string[] = [];
          let cursor: string | undefined;
          for (;;) {
            const page = await store.listSessions({ sort, limit: 2, cursor });
            seen.push(...ids(page.items));
            if (page.nextCursor === null) break;
            cursor = page.nextCursor;
          }
          expect(seen).toStrictEqual(ids((await store.listSessions({ sort, limit: 100 })).items));
          expect(new Set(seen).size).toBe(7);
        }
      });

      it('refuses unknown filters, bad limits and foreign cursors', async () => {
        await writeSessions(3);
        const page = await store.listSessions({ limit: 1 });
        await expect(store.listSessions({ limit: 0 })).rejects.toBeInstanceOf(InvalidQueryError);
        await expect(store.listSessions({ cursor: 'not-a-cursor' })).rejects.toBeInstanceOf(InvalidQueryError);
        await expect(store.listSessions({ sort: 'cost', cursor: page.nextCursor ?? '' })).rejects.toBeInstanceOf(
          InvalidQueryError,
        );
        await expect(
          store.listSessions({ colour: 'red' } as unknown as Parameters<TraceStore['listSessions']>[0]),
        ).rejects.toBeInstanceOf(InvalidQueryError);
        await expect(
          store.listSessions({ status: 'sleeping' } as unknown as Parameters<TraceStore['listSessions']>[0]),
        ).rejects.toBeInstanceOf(InvalidQueryError);
      });
    });

    describe('timeline and tree', () => {
      it('lists steps in start order with depth from parent links inside the session', async () => {
        const traceId = newTraceId();
        const t = (s: number) => BASE_TIME_UNIX_NANO + BigInt(s) * SECOND;
        const root = makeRecord({ traceId, sessionId: 'tl', stepType: 'agent', name: 'root', startTimeUnixNano: t(0), endTimeUnixNano: t(10) });
        const llm = makeLlmRecord({ traceId, parentSpanId: root.spanId, name: 'llm', startTimeUnixNano: t(1), endTimeUnixNano: t(2) });
        const tool = makeRecord({ traceId, parentSpanId: root.spanId, stepType: 'tool', toolName: 'grep', name: 'tool', startTimeUnixNano: t(3), endTimeUnixNano: null });
        const nested = makeRecord({ traceId, parentSpanId: tool.spanId, name: 'nested', startTimeUnixNano: t(4), endTimeUnixNano: t(5), isError: true });
        const orphan = makeRecord({ traceId, parentSpanId: newSpanId(), name: 'orphan', startTimeUnixNano: t(6) });
        await store.write([orphan, nested, tool, llm, root]);

        const timeline = await store.getTimeline('tl');
        expect(timeline.map((s) => [s.name, s.depth])).toStrictEqual([
          ['root', 0],
          ['llm', 1],
          ['tool', 1],
          ['nested', 2],
          ['orphan', 0],
        ]);
        const [rootStep, llmStep, toolStep, nestedStep] = timeline;
        expect(rootStep.durationNanos).toBe(10n * SECOND);
        expect(llmStep).toMatchObject({
          stepType: 'llm',
          model: 'gpt-4o-2024-08-06',
          tokens: { input: 100, output: 20 },
          costUsd: 0.25,
          open: false,
          interrupted: false,
          traceId,
          parentSpanId: root.spanId,
        });
        expect(toolStep).toMatchObject({ open: true, endTimeUnixNano: null, durationNanos: null, toolName: 'grep' });
        expect(nestedStep.isError).toBe(true);

        const tree = await store.getTree('tl');
        expect(tree.map((n) => n.name)).toStrictEqual(['root', 'orphan']);
        expect(tree[0].children.map((n) => n.name)).toStrictEqual(['llm', 'tool']);
        expect(tree[0].children[1].children.map((n) => n.name)).toStrictEqual(['nested']);
        expect(tree[1].children).toStrictEqual([]);
      });

      it('keeps times exact for steps of several traces and for sessions longer than 2^53 ns (104 days)', async () => {
        const first = newTraceId();
        const second = newTraceId();
        const start = BASE_TIME_UNIX_NANO + 123n; // not a multiple of anything a double rounds to
        const late = start + 2n ** 53n + 7n;
        const a = makeRecord({ traceId: first, sessionId: 'long', name: 'a', startTimeUnixNano: start, endTimeUnixNano: start + 1n });
        // Same span id in another trace: a different step.
        const b = makeRecord({ traceId: second, spanId: a.spanId, sessionId: 'long', name: 'b', startTimeUnixNano: late, endTimeUnixNano: late + 5n });
        const child = makeRecord({ traceId: second, parentSpanId: a.spanId, sessionId: 'long', name: 'child', startTimeUnixNano: late + 1n, endTimeUnixNano: null });
        await store.write([a, b, child]);
        const timeline = await store.getTimeline('long');
        expect(timeline.map((s) => [s.name, s.depth, s.startTimeUnixNano, s.endTimeUnixNano])).toStrictEqual([
          ['a', 0, start, start + 1n],
          ['b', 0, late, late + 5n],
          ['child', 1, late + 1n, null],
        ]);
        // The same, for a session that fits in a double's range.
        await store.write([makeRecord({ traceId: first, spanId: newSpanId(), sessionId: 'short', name: 'c', startTimeUnixNano: start, endTimeUnixNano: start + 3n })]);
        expect((await store.getTimeline('short')).map((s) => [s.startTimeUnixNano, s.durationNanos])).toStrictEqual([[start, 3n]]);
      });
    });

    describe('getSpans', () => {
      const seed = async () => {
        const traceId = newTraceId();
        const t = (ms: number) => BASE_TIME_UNIX_NANO + BigInt(ms) * MILLI;
        const records = [
          makeLlmRecord({ traceId, sessionId: 'q', name: 'a', startTimeUnixNano: t(0), endTimeUnixNano: t(500), raw: { attributes: { 'app.tier': 'gold', 'app.n': 7, 'app.flag': true } } }),
          makeLlmRecord({ traceId, name: 'b', provider: 'anthropic', requestModel: 'claude', responseModel: null, startTimeUnixNano: t(10), endTimeUnixNano: t(20), isError: true, raw: { attributes: { 'app.tier': 'silver', 'app.n': '7' } } }),
          makeRecord({ traceId, name: 'c', stepType: 'tool', startTimeUnixNano: t(30), endTimeUnixNano: t(2030), raw: { attributes: { 'app.flag': false } } }),
          makeRecord({ name: 'other-session', startTimeUnixNano: t(40) }),
        ];
        await store.write(records);
        return { traceId, t };
      };
      const names = (spans: { name: string }[]) => spans.map((s) => s.name);

      it('filters by every supported field, newest first', async () => {
        const { traceId, t } = await seed();
        expect(names((await store.getSpans({ sessionId: 'q' })).items)).toStrictEqual(['c', 'b', 'a']);
        expect(names((await store.getSpans({ traceId })).items)).toStrictEqual(['c', 'b', 'a']);
        expect(names((await store.getSpans({ stepType: 'tool' })).items)).toStrictEqual(['c']);
        expect(names((await store.getSpans({ model: 'claude' })).items)).toStrictEqual(['b']);
        expect(names((await store.getSpans({ model: 'gpt-4o-2024-08-06' })).items)).toStrictEqual(['a']);
        expect(names((await store.getSpans({ provider: 'anthropic' })).items)).toStrictEqual(['b']);
        expect(names((await store.getSpans({ isError: true })).items)).toStrictEqual(['b']);
        expect(names((await store.getSpans({ minDurationNanos: 500n * MILLI })).items)).toStrictEqual(['c', 'a']);
        expect(names((await store.getSpans({ fromUnixNano: t(10), toUnixNano: t(40) })).items)).toStrictEqual(['c', 'b']);
        expect(names((await store.getSpans({ attributes: { 'app.tier': 'gold' } })).items)).toStrictEqual(['a']);
        // Typed equality: the number 7 is not the string "7".
        expect(names((await store.getSpans({ attributes: { 'app.n': 7 } })).items)).toStrictEqual(['a']);
        expect(names((await store.getSpans({ attributes: { 'app.n': '7' } })).items)).toStrictEqual(['b']);
        expect(names((await store.getSpans({ attributes: { 'app.flag': false } })).items)).toStrictEqual(['c']);
        expect(names((await store.getSpans({ attributes: { 'app.flag': true, 'app.tier': 'gold' } })).items)).toStrictEqual(['a']);
        expect((await store.getSpans({ attributes: { 'app.flag': true, 'app.tier': 'silver' } })).items).toStrictEqual([]);
      });

      it('pages with a cursor', async () => {
        await seed();
        const first = await store.getSpans({ limit: 3 });
        expect(names(first.items)).toStrictEqual(['other-session', 'c', 'b']);
        const second = await store.getSpans({ limit: 3, cursor: first.nextCursor ?? undefined });
        expect(names(second.items)).toStrictEqual(['a']);
        expect(second.nextCursor).toBeNull();
      });

      it('refuses filters it cannot answer exactly', async () => {
        await seed();
        const bad = (query: unknown) => store.getSpans(query as Parameters<TraceStore['getSpans']>[0]);
        await expect(bad({ nameLike: 'a%' })).rejects.toBeInstanceOf(InvalidQueryError);
        await expect(bad({ stepType: 'banana' })).rejects.toBeInstanceOf(InvalidQueryError);
        await expect(bad({ attributes: { nested: { a: 1 } } })).rejects.toBeInstanceOf(InvalidQueryError);
        await expect(bad({ fromUnixNano: 5 })).rejects.toBeInstanceOf(InvalidQueryError);
        await expect(bad({ fromUnixNano: 2n ** 63n })).rejects.toBeInstanceOf(InvalidQueryError);
        await expect(store.listSessions({ toUnixNano: -1n })).rejects.toBeInstanceOf(InvalidQueryError);
        await expect(bad({ limit: -1 })).rejects.toBeInstanceOf(InvalidQueryError);
        await expect(bad({ cursor: '!!!' })).rejects.toBeInstanceOf(InvalidQueryError);
      });
    });

    describe('search', () => {
      it('finds names and content newest first, with the match marked', async () => {
        const t = (s: number) => BASE_TIME_UNIX_NANO + BigInt(s) * SECOND;
        await store.write([
          makeRecord({ sessionId: 'a', name: 'fetch weather', startTimeUnixNano: t(1) }),
          makeLlmRecord({ sessionId: 'b', input: { text: 'Is the weather nice in Lyon today?', originalLength: 34, truncated: false }, startTimeUnixNano: t(2) }),
          makeLlmRecord({ sessionId: 'b', reasoning: { text: 'thinking about rain', originalLength: 19, truncated: false }, startTimeUnixNano: t(3) }),
          makeLlmRecord({ sessionId: 'c', output: { text: 'nothing relevant', originalLength: 16, truncated: false }, startTimeUnixNano: t(4) }),
        ]);
        const hits = await store.search({ text: 'weather' });
        expect(hits.map((h) => h.sessionId)).toStrictEqual(['b', 'a']);
        expect(hits[0].snippet).toContain('[[weather]]');
        expect(hits[0].stepType).toBe('llm');
        expect(hits[0].startTimeUnixNano).toBe(t(2));
        expect(hits[1].snippet).toContain('[[weather]]');
        expect((await store.search({ text: 'rain' })).map((h) => h.sessionId)).toStrictEqual(['b']);
        expect((await store.search({ text: 'weather', sessionId: 'a' })).map((h) => h.name)).toStrictEqual(['fetch weather']);
        expect(await store.search({ text: 'weather', limit: 1 })).toHaveLength(1);
      });

      it('forgets replaced and deleted text', async () => {
        const record = makeLlmRecord({ sessionId: 'x', output: { text: 'draft answer', originalLength: 12, truncated: false } });
        await store.write([opened(record)]);
        await store.write([{ ...record, output: { text: 'final answer', originalLength: 12, truncated: false } }]);
        expect(await store.search({ text: 'draft' })).toStrictEqual([]);
        expect(await store.search({ text: 'final' })).toHaveLength(1);
        await store.deleteSession('x');
        expect(await store.search({ text: 'final' })).toStrictEqual([]);
      });

      it('answers a malformed query with InvalidQueryError', async () => {
        await store.write([makeRecord({ name: 'something' })]);
        await expect(store.search({ text: '"unbalanced' })).rejects.toBeInstanceOf(InvalidQueryError);
        await expect(store.search({ text: 'AND OR' })).rejects.toBeInstanceOf(InvalidQueryError);
        await expect(store.search({ text: '   ' })).rejects.toBeInstanceOf(InvalidQueryError);
      });
    });

    describe('stats', () => {
      it('groups model calls by model, provider, agent and day with exact percentiles', async () => {
        const day1 = 1_700_000_000_000n * MILLI; // 2023-11-14
        const day2 = day1 + 86_400n * SECOND;
        const traceId = newTraceId();
        const durations = [10n, 20n, 30n, 40n, 1000n];
        await store.write([
          makeRecord({ traceId, sessionId: 'st', stepType: 'agent', agentName: 'boss', startTimeUnixNano: day1 }),
          ...durations.map((ms, i) =>
            makeLlmRecord({
              traceId,
              startTimeUnixNano: day1 + BigInt(i) * SECOND,
              endTimeUnixNano: day1 + BigInt(i) * SECOND + ms * MILLI,
              isError: i === 0,
              usage: { input: 10, output: 1 },
              cost: { usd: 0.5, source: 'supplied' },
            }),
          ),
          makeLlmRecord({
            traceId,
            provider: 'anthropic',
            responseModel: 'claude',
            agentName: 'helper',
            startTimeUnixNano: day2,
            endTimeUnixNano: day2 + 7n * MILLI,
            usage: { input: 1, output: 2, cacheRead: 3 },
            cost: { usd: 0.25, source: 'computed' },
          }),
          makeRecord({ traceId, stepType: 'tool', startTimeUnixNano: day2 }),
        ]);

        const byModel = await store.stats({ groupBy: 'model' });
        expect(byModel).toStrictEqual([
          {
            key: 'gpt-4o-2024-08-06',
            calls: 5,
            errors: 1,
            tokens: { input: 50, output: 5, reasoning: 0, cacheRead: 0, cacheWrite: 0 },
            costUsd: 2.5,
            p50DurationNanos: 30n * MILLI,
            p95DurationNanos: 1000n * MILLI,
          },
          {
            key: 'claude',
            calls: 1,
            errors: 0,
            tokens: { input: 1, output: 2, reasoning: 0, cacheRead: 3, cacheWrite: 0 },
            costUsd: 0.25,
            p50DurationNanos: 7n * MILLI,
            p95DurationNanos: 7n * MILLI,
          },
        ]);
        expect((await store.stats({ groupBy: 'provider' })).map((r) => [r.key, r.calls])).toStrictEqual([
          ['openai', 5],
          ['anthropic', 1],
        ]);
        expect((await store.stats({ groupBy: 'agent' })).map((r) => [r.key, r.calls])).toStrictEqual([
          ['boss', 5],
          ['helper', 1],
        ]);
        expect((await store.stats({ groupBy: 'day' })).map((r) => [r.key, r.calls])).toStrictEqual([
          ['2023-11-14', 5],
          ['2023-11-15', 1],
        ]);
        expect((await store.stats({ groupBy: 'day', fromUnixNano: day2 })).map((r) => r.key)).toStrictEqual(['2023-11-15']);
        expect((await store.stats({ groupBy: 'model', toUnixNano: day1 + SECOND })).map((r) => r.calls)).toStrictEqual([1]);
        await expect(
          store.stats({ groupBy: 'colour' } as unknown as Parameters<TraceStore['stats']>[0]),
        ).rejects.toBeInstanceOf(InvalidQueryError);
      });
      it('ranks many durations exactly, leaves open calls out, and keeps durations past 2^53 ns exact', async () => {
        const start = 1_700_000_000_000n * MILLI;
        const traceId = newTraceId();
        // 1000 calls of 1..1000 ms in shuffled order: nearest rank p50 = 500 ms, p95 = 950 ms.
        const order = Array.from({ length: 1000 }, (_, i) => ((i * 7919) % 1000) + 1);
        await store.write([
          ...order.map((ms, i) =>
            makeLlmRecord({
              traceId,
              responseModel: 'many',
              startTimeUnixNano: start + BigInt(i) * MILLI,
              endTimeUnixNano: start + BigInt(i) * MILLI + BigInt(ms) * MILLI,
            }),
          ),
          makeLlmRecord({ traceId, responseModel: 'many', startTimeUnixNano: start, endTimeUnixNano: null }),
          makeLlmRecord({ traceId, responseModel: 'open-only', startTimeUnixNano: start, endTimeUnixNano: null }),
          // 2^53 + 1 ns (about 104 days): a double would round it to 2^53.
          makeLlmRecord({
            traceId,
            responseModel: 'long',
            startTimeUnixNano: start,
            endTimeUnixNano: start + 2n ** 53n + 1n,
          }),
        ]);
        const rows = new Map((await store.stats({ groupBy: 'model' })).map((r) => [r.key, r]));
        expect(rows.get('many')).toMatchObject({ calls: 1001, p50DurationNanos: 500n * MILLI, p95DurationNanos: 950n * MILLI });
        expect(rows.get('open-only')).toMatchObject({ calls: 1, p50DurationNanos: null, p95DurationNanos: null });
        expect(rows.get('long')).toMatchObject({ p50DurationNanos: 2n ** 53n + 1n, p95DurationNanos: 2n ** 53n + 1n });
        // The exact fallback ranks every group of the query alike.
        expect(rows.get('many')?.p95DurationNanos).toBe(950n * MILLI);
      });
    });

    describe('deletion and retention', () => {
      it('deletes a session with its spans, leaving others', async () => {
        await store.write([makeLlmRecord({ sessionId: 'gone' }), makeLlmRecord({ sessionId: 'kept' })]);
        await store.deleteSession('gone');
        await expect(store.getSession('gone')).rejects.toBeInstanceOf(SessionNotFoundError);
        expect((await store.getSpans({ sessionId: 'gone' })).items).toStrictEqual([]);
        expect((await store.getSession('kept')).spanCount).toBe(1);
      });

      it('deletes sessions older than 30 days by default', async () => {
        const now = nowNanos();
        const daysAgo = (d: number) => now - BigInt(d * DAY_MILLIS) * MILLI;
        await store.write([
          makeRecord({ sessionId: 'old', startTimeUnixNano: daysAgo(31), endTimeUnixNano: daysAgo(31) + SECOND }),
          makeRecord({ sessionId: 'old' , startTimeUnixNano: daysAgo(40) }),
          makeRecord({ sessionId: 'recent', startTimeUnixNano: daysAgo(29) }),
          makeRecord({ sessionId: 'old-start-new-end', startTimeUnixNano: daysAgo(45), endTimeUnixNano: daysAgo(1) }),
        ]);
        const result = await store.applyRetention();
        expect(result).toStrictEqual({ sessionsDeleted: 1, spansDeleted: 2, logRecordsDeleted: 0, metricPointsDeleted: 0 });
        expect(ids((await store.listSessions()).items).sort()).toStrictEqual(['old-start-new-end', 'recent']);
        expect((await store.applyRetention({ maxAgeMillis: 2 * DAY_MILLIS })).sessionsDeleted).toBe(1);
        expect(ids((await store.listSessions()).items)).toStrictEqual(['old-start-new-end']);
      });

      it('keeps only the newest sessions when told a maximum', async () => {
        const now = nowNanos();
        await store.write(
          [0, 1, 2, 3, 4].map((i) => makeRecord({ sessionId: `m${i}`, startTimeUnixNano: now - BigInt(10 - i) * SECOND })),
        );
        const result = await store.applyRetention({ maxSessions: 2 });
        expect(result).toStrictEqual({ sessionsDeleted: 3, spansDeleted: 3, logRecordsDeleted: 0, metricPointsDeleted: 0 });
        expect(ids((await store.listSessions()).items)).toStrictEqual(['m4', 'm3']);
        expect((await store.getSpans({})).items).toHaveLength(2);
        await expect(store.applyRetention({ maxSessions: -1 })).rejects.toBeInstanceOf(InvalidQueryError);
      });

      function ids(sessions: SessionSummary[]) {
        return sessions.map((s) => s.sessionId);
      }
    });

    runSignalContract(() => store);

    it('closes twice without error', async () => {
      await store.close();
      await store.close();
    });
  });
}
