/**
 * Gemini CLI's cached and thought (reasoning) tokens are only on its `gemini_cli.api_response` log
 * events, which mostly carry no trace context; its `llm_call` spans have input and visible output only.
 * The real captures replayed to a real collector in every order the two signals can come in: each call
 * gets the cached and thought counts of its own event, priced at the cache-read and reasoning rates, and
 * the session counts every call once, however often and in whatever order its requests arrived.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startCollector } from '../../src/collector/start-collector.js';
import type { RunningCollector } from '../../src/collector/start-collector.js';
import { createIngestCommit } from '../../src/ingest/ingest-commit.js';
import { createIngest, resolveIngestSettings } from '../../src/ingest/ingest-settings.js';
import type { SignalBatch } from '../../src/ingest/signal-batch.js';
import type { RawLogRecord } from '../../src/model/log-types.js';
import { createPriceTable } from '../../src/model/pricing.js';
import type { ModelPrice } from '../../src/model/pricing.js';
import type { RawSpan } from '../../src/model/types.js';
import { openWritableStore } from '../../src/store/sqlite/database-file.js';
import type { SqliteTraceStore } from '../../src/store/sqlite/sqlite-trace-store.js';
import { makeRawSpan } from '../helpers/raw-spans.js';
import { makeRawLog } from './raw-signals.js';
import { AGENT_FIXTURES_DIR, listRequests, replayGrpc, replayGrpcClients, replayHttp } from '../fixtures/agents/replay.js';
import type { CapturedRequest, ReplayAnswer } from '../fixtures/agents/replay.js';
import { attr, count, decodeRun } from '../model/agents/agent-fixture.js';

/**
 * The capture's models are not in the shipped table: priced here, each rate different, so that a
 * cached token billed as input or a thought token billed as output (or twice) changes the cost.
 */
const PRICES: Record<string, ModelPrice> = {
  'gemini-3.8-flash': { inputPerMTok: 0.5, outputPerMTok: 3, cacheReadPerMTok: 0.05, reasoningPerMTok: 7 },
  'gemini-3.5-flash-lite': { inputPerMTok: 0.1, outputPerMTok: 0.4, cacheReadPerMTok: 0.013, reasoningPerMTok: 1.1 },
};

interface ExpectedCall {
  spanId: string;
  model: string;
  input: number;
  output: number;
  cacheRead: number;
  reasoning: number;
  costUsd: number;
}

/** Each `llm_call` with what its own `api_response` event says (the n-th call ends with the n-th event). */
function expectedCalls(spans: readonly RawSpan[], logs: readonly RawLogRecord[]): ExpectedCall[] {
  const calls = spans.filter((s) => s.name === 'llm_call').sort((a, b) => Number(a.startTimeUnixNano - b.startTimeUnixNano));
  const responses = logs
    .filter((r) => attr(r, 'event.name') === 'gemini_cli.api_response')
    .sort((a, b) => Number(a.timeUnixNano - b.timeUnixNano));
  expect(responses).toHaveLength(calls.length);
  return calls.map((call, i) => {
    const response = responses[i];
    // The pairing is the capture's own: the event is logged as its call ends, for the call's model.
    expect(response.timeUnixNano).toBeGreaterThanOrEqual(call.startTimeUnixNano);
    expect(response.timeUnixNano).toBeLessThanOrEqual(call.endTimeUnixNano as bigint);
    expect(attr(response, 'model')).toBe(attr(call, 'gen_ai.request.model'));
    const input = count(attr(response, 'input_token_count'));
    const cacheRead = count(attr(response, 'cached_content_token_count'));
    const visible = count(attr(response, 'output_token_count'));
    const reasoning = count(attr(response, 'thoughts_token_count'));
    const model = String(attr(call, 'gen_ai.request.model'));
    const price = PRICES[model];
    // Gemini's prompt count includes the cached tokens; its candidates count leaves the thoughts out.
    const costUsd =
      ((input - cacheRead) * price.inputPerMTok +
        cacheRead * (price.cacheReadPerMTok as number) +
        visible * price.outputPerMTok +
        reasoning * (price.reasoningPerMTok as number)) /
      1_000_000;
    return { spanId: call.spanId, model, input, output: visible + reasoning, cacheRead, reasoning, costUsd };
  });
}

/** Each call of the run stored with its own event's counts and their cost; the session's totals their sum. */
async function expectJoined(store: SqliteTraceStore, scenario: string): Promise<void> {
  const run = decodeRun('gemini-cli', scenario);
  const calls = expectedCalls(run.spans, run.logs);
  expect(calls.every((c) => c.cacheRead > 0 && c.reasoning > 0)).toBe(true);
  const sessionId = String(run.spans[0].resource.attributes['session.id']);
  const stored = store.getSpansSync({ sessionId, stepType: 'llm', limit: 100 }).items;
  expect(stored).toHaveLength(calls.length);
  for (const call of calls) {
    const step = stored.find((s) => s.spanId === call.spanId);
    expect(step, `${scenario} ${call.spanId}`).toBeDefined();
    expect({ ...step!.usage, total: undefined }).toEqual({
      input: call.input,
      output: call.output,
      cacheRead: call.cacheRead,
      reasoning: call.reasoning,
      total: undefined,
    });
    expect(step!.cost?.source).toBe('computed');
    expect(step!.cost?.usd).toBeCloseTo(call.costUsd, 12);
    expect(step!.unpriced).toBe(false);
  }

  const session = await store.getSession(sessionId);
  const sum = (key: keyof ExpectedCall) => calls.reduce((total, c) => total + (c[key] as number), 0);
  expect({ agent: session.agentName, llm: session.llmCallCount, unpriced: session.unpricedCallCount, tokens: session.tokens }).toEqual({
    agent: 'gemini-cli',
    llm: calls.length,
    unpriced: 0,
    tokens: { input: sum('input'), output: sum('output'), reasoning: sum('reasoning'), cacheRead: sum('cacheRead'), cacheWrite: 0 },
  });
  expect(session.computedCostUsd).toBeCloseTo(sum('costUsd'), 12);
  expect(session.costUsd).toBeCloseTo(sum('costUsd'), 12);
  expect(session.suppliedCostUsd).toBe(0);

  // The per-model rollup moved by the same differences.
  const models = await store.getSessionModels(sessionId);
  expect(models.map((m) => m.model).sort()).toEqual([...new Set(calls.map((c) => c.model))].sort());
  for (const row of models) {
    const of = calls.filter((c) => c.model === row.model);
    const add = (key: keyof ExpectedCall) => of.reduce((total, c) => total + (c[key] as number), 0);
    expect({ calls: row.calls, tokens: row.tokens }).toEqual({
      calls: of.length,
      tokens: { input: add('input'), output: add('output'), reasoning: add('reasoning'), cacheRead: add('cacheRead'), cacheWrite: 0 },
    });
    expect(row.costUsd).toBeCloseTo(add('costUsd'), 12);
  }
}

type Order = (requests: CapturedRequest[]) => CapturedRequest[][];
const bySignal = (requests: CapturedRequest[], first: string) =>
  [...requests.filter((r) => r.signal === first), ...requests.filter((r) => r.signal !== first)].map((r) => [r]);

/** How the requests are sent: each inner list at once, the lists one after the other. */
const ORDERS: Record<string, Order> = {
  'as captured': (requests) => requests.map((r) => [r]),
  'logs before traces': (requests) => bySignal(requests, 'logs'),
  'traces before logs': (requests) => bySignal(requests, 'traces'),
  'every request twice': (requests) => requests.flatMap((r) => [[r], [r]]),
  'the run twice, logs first the second time': (requests) => [...requests.map((r) => [r]), ...bySignal(requests, 'logs')],
  'all at once': (requests) => [requests],
};

const SCENARIOS = ['http-json', 'grpc-gzip'];

describe('Gemini CLI captures: cached and thought tokens joined from the api_response events', () => {
  let dir: string | undefined;
  let collector: RunningCollector | undefined;
  afterEach(async () => {
    await collector?.close();
    collector = undefined;
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it.each(Object.keys(ORDERS))('%s: every call has its event tokens and cost, the session counts each call once', async (order) => {
    dir = mkdtempSync(join(tmpdir(), 'skein-gemini-usage-'));
    collector = await startCollector({
      dbPath: join(dir, 'skein.db'),
      port: 0,
      grpcPort: 0,
      normalize: { prices: createPriceTable(PRICES) },
    });
    const running = collector;
    // Both captures into one collector: each run is a session of its own.
    for (const scenario of SCENARIOS) {
      const clients = replayGrpcClients(running.grpcPort as number);
      try {
        for (const group of ORDERS[order](listRequests(join(AGENT_FIXTURES_DIR, 'gemini-cli', scenario)))) {
          const answers: ReplayAnswer[] = await Promise.all(
            group.map((r) => (r.transport === 'grpc' ? replayGrpc(clients, r) : replayHttp(running.url, r))),
          );
          for (const answer of answers) expect(answer.httpStatus, answer.file).toBe(200);
        }
      } finally {
        clients.close();
      }
    }

    for (const scenario of SCENARIOS) await expectJoined(running.store, scenario);
  });
});

describe('Gemini CLI: a call and its event in one commit', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('joins in the batch, and keeps the join when the spans, the events or both come again', async () => {
    dir = mkdtempSync(join(tmpdir(), 'skein-gemini-batch-'));
    const store = openWritableStore({ path: join(dir, 'skein.db') });
    try {
      const commit = createIngestCommit({ store, ingest: createIngest(resolveIngestSettings({ prices: createPriceTable(PRICES) })) });
      for (const scenario of SCENARIOS) {
        const run = decodeRun('gemini-cli', scenario);
        commit({ spans: run.spans, logs: run.logs, metrics: [] });
        await expectJoined(store, scenario);
        commit(run.spans);
        await expectJoined(store, scenario);
        commit({ spans: [], logs: run.logs, metrics: [] });
        await expectJoined(store, scenario);
        commit({ spans: run.spans, logs: run.logs, metrics: [] });
        await expectJoined(store, scenario);
      }
    } finally {
      await store.close();
    }
  });
});

describe('Gemini CLI: two calls of one model at once, their events without span ids', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  const SECOND = 1_000_000_000n;
  const T0 = 1_800_000_000n * SECOND;
  const resource = { attributes: { 'service.name': 'gemini-cli', 'session.id': 'gemini-overlap' }, droppedAttributesCount: 0, schemaUrl: '' };
  const llmCall = (start: bigint, end: bigint, input: number) =>
    makeRawSpan({
      name: 'llm_call',
      startTimeUnixNano: start,
      endTimeUnixNano: end,
      resource,
      attributes: {
        'gen_ai.operation.name': 'llm_call',
        'gen_ai.request.model': 'gemini-3.8-flash',
        'gen_ai.conversation.id': 'gemini-overlap',
        'gen_ai.usage.input_tokens': input,
        'gen_ai.usage.output_tokens': 10,
      },
    });
  const response = (at: bigint, input: number, cached: number, thoughts: number) =>
    makeRawLog({
      eventName: '',
      timeUnixNano: at,
      resource,
      attributes: {
        'event.name': 'gemini_cli.api_response',
        'session.id': 'gemini-overlap',
        model: 'gemini-3.8-flash',
        input_token_count: input,
        output_token_count: 10,
        cached_content_token_count: cached,
        thoughts_token_count: thoughts,
      },
    });
  // A runs 0–10 s, B 2–5 s inside it: B's event falls in both windows; each call's own is logged as it ends.
  const a = llmCall(T0, T0 + 10n * SECOND, 5000);
  const b = llmCall(T0 + 2n * SECOND, T0 + 5n * SECOND, 700);
  const eA = response(T0 + 10n * SECOND - 1_000_000n, 5000, 4000, 40);
  const eB = response(T0 + 5n * SECOND - 1_000_000n, 700, 512, 7);
  const only = (logs: RawLogRecord[]): SignalBatch => ({ spans: [], logs, metrics: [] });
  const ORDERS_OF_TWO: Record<string, Array<RawSpan[] | SignalBatch>> = {
    'spans, then both events': [[a, b], only([eA, eB])],
    "B's event, the spans, A's event": [only([eB]), [a, b], only([eA])],
    "the spans, B's event, A's event": [[a, b], only([eB]), only([eA])],
    'both events, then the spans': [only([eA, eB]), [a, b]],
    'all in one batch': [{ spans: [a, b], logs: [eB, eA], metrics: [] }],
  };

  it.each(Object.keys(ORDERS_OF_TWO))('%s: each call has its own event, counted once', async (order) => {
    dir = mkdtempSync(join(tmpdir(), 'skein-gemini-overlap-'));
    const store = openWritableStore({ path: join(dir, 'skein.db') });
    try {
      const commit = createIngestCommit({ store, ingest: createIngest(resolveIngestSettings({ prices: createPriceTable(PRICES) })) });
      for (const work of ORDERS_OF_TWO[order]) commit(work);
      const calls = store.getSpansSync({ sessionId: 'gemini-overlap', stepType: 'llm' }).items;
      const usageOf = (span: RawSpan) => calls.find((c) => c.spanId === span.spanId)?.usage;
      expect(usageOf(a)).toEqual({ input: 5000, output: 50, cacheRead: 4000, reasoning: 40 });
      expect(usageOf(b)).toEqual({ input: 700, output: 17, cacheRead: 512, reasoning: 7 });
      const session = await store.getSession('gemini-overlap');
      expect(session.tokens).toEqual({ input: 5700, output: 67, reasoning: 47, cacheRead: 4512, cacheWrite: 0 });
    } finally {
      await store.close();
    }
  });

  it.each(Object.keys(ORDERS_OF_TWO))("%s, A's event never sent (a failed call): A keeps its span's counts, B's event is B's only", async (order) => {
    dir = mkdtempSync(join(tmpdir(), 'skein-gemini-overlap-'));
    const store = openWritableStore({ path: join(dir, 'skein.db') });
    try {
      const commit = createIngestCommit({ store, ingest: createIngest(resolveIngestSettings({ prices: createPriceTable(PRICES) })) });
      for (const work of ORDERS_OF_TWO[order]) {
        if (Array.isArray(work)) commit(work);
        else commit({ ...work, logs: work.logs.filter((r) => r !== eA) });
      }
      const calls = store.getSpansSync({ sessionId: 'gemini-overlap', stepType: 'llm' }).items;
      const usageOf = (span: RawSpan) => calls.find((c) => c.spanId === span.spanId)?.usage;
      expect(usageOf(a)).toEqual({ input: 5000, output: 10 });
      expect(usageOf(b)).toEqual({ input: 700, output: 17, cacheRead: 512, reasoning: 7 });
      const session = await store.getSession('gemini-overlap');
      expect(session.tokens).toEqual({ input: 5700, output: 27, reasoning: 7, cacheRead: 512, cacheWrite: 0 });
    } finally {
      await store.close();
    }
  });
});
