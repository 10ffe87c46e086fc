/** Budgets in-process: the real SDK, the real processor and its writer thread, a real SQLite file. */

import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { loggingErrorHandler, setGlobalErrorHandler } from '@opentelemetry/core';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import type { BudgetEventRecord } from '../../src/model/budgets.js';
import { BudgetConfigError } from '../../src/model/budgets.js';
import { createPriceTable } from '../../src/model/pricing.js';
import { AgentTracer } from '../../src/processor/agent-tracer.js';
import { BudgetExceededError } from '../../src/processor/budget-exceeded-error.js';
import { InThreadSpanSink } from '../../src/processor/in-thread-span-sink.js';
import { SkeinSpanProcessor } from '../../src/processor/skein-span-processor.js';
import type { SkeinSpanProcessorOptions } from '../../src/processor/skein-span-processor-options.js';
import { WorkerSpanSink } from '../../src/processor/worker-span-sink.js';
import { SqliteTraceStore } from '../../src/store/sqlite/index.js';
import { removeTempDirs, tempDbPath } from './helpers.js';

const providers: BasicTracerProvider[] = [];
afterEach(async () => {
  setGlobalErrorHandler(loggingErrorHandler());
  await Promise.all(providers.splice(0).map((p) => p.shutdown().catch(() => undefined)));
  removeTempDirs();
});

function setup(options: SkeinSpanProcessorOptions) {
  const crossings: BudgetEventRecord[] = [];
  const processor = new SkeinSpanProcessor({ onBudget: (c) => crossings.push(c), ...options });
  const provider = new BasicTracerProvider({ spanProcessors: [processor] });
  providers.push(provider);
  const agent = new AgentTracer({ tracerProvider: provider, budgets: processor });
  return { processor, provider, agent, crossings };
}

/** A model call that reports `usd` and 100 + 20 tokens. */
function paidCall(agent: AgentTracer, usd: number) {
  return agent.modelCall({ provider: 'openai', model: 'gpt-4o' }, (call) => {
    call.recordUsage({ inputTokens: 100, outputTokens: 20 });
    call.recordCost(usd);
    return call.span.spanContext().spanId;
  });
}

describe('budgets in SkeinSpanProcessor and AgentTracer', () => {
  it('reports each crossing once, marks the stored span, and refuses the next model call when enforced', async () => {
    const dbPath = tempDbPath();
    const { processor, agent, crossings } = setup({ dbPath, budgets: { session: { maxCostUsd: 0.5 } }, enforce: true });
    let refused: unknown;
    let ranAfterRefusal = false;
    let sessionId = '';
    const ids: string[] = [];
    await agent.session({ agentName: 'spender' }, async (session) => {
      sessionId = session.sessionId;
      ids.push(paidCall(agent, 0.2));
      ids.push(paidCall(agent, 0.2)); // $0.40: the warning
      await processor.forceFlush();
      expect(crossings.map((c) => c.level)).toEqual(['warning']);
      expect(processor.isOverBudget(sessionId)).toBe(false);
      ids.push(paidCall(agent, 0.2)); // $0.60: over the limit
      // Enforcement follows the store: deterministic once flushed.
      await processor.forceFlush();
      expect(processor.isOverBudget(sessionId)).toBe(true);
      try {
        paidCall(agent, 0.2);
        ranAfterRefusal = true;
      } catch (error) {
        refused = error;
      }
      // Other steps still run: only new model calls are refused.
      agent.toolCall({ name: 'summarize' }, () => 'ok');
    });
    await processor.forceFlush();

    expect(ranAfterRefusal).toBe(false);
    expect(refused).toBeInstanceOf(BudgetExceededError);
    expect((refused as Error).message).toBe(`session ${sessionId} exceeded its cost budget: used $0.6000 of $0.5000`);
    expect((refused as BudgetExceededError).sessionId).toBe(sessionId);

    expect(crossings).toEqual([
      expect.objectContaining({ sessionId, scope: 'session', metric: 'costUsd', level: 'warning', limit: 0.5, spanId: ids[1] }),
      expect.objectContaining({ sessionId, scope: 'session', metric: 'costUsd', level: 'exceeded', limit: 0.5, spanId: ids[2] }),
    ]);
    expect(crossings[1].used).toBeCloseTo(0.6, 9);

    const store = new SqliteTraceStore({ path: dbPath, readonly: true });
    try {
      const spans = (await store.getSpans({ sessionId, limit: 50 })).items;
      // The refused call never started a span.
      expect(spans.filter((s) => s.stepType === 'llm')).toHaveLength(3);
      const eventsOf = (spanId: string) => spans.find((s) => s.spanId === spanId)!.raw.events;
      expect(eventsOf(ids[0])).toEqual([]);
      expect(eventsOf(ids[1]).map((e) => e.name)).toEqual(['skein.budget.warning']);
      expect(eventsOf(ids[2])).toEqual([
        expect.objectContaining({
          name: 'skein.budget.exceeded',
          attributes: {
            'skein.budget.scope': 'session',
            'skein.budget.key': sessionId,
            'skein.budget.metric': 'costUsd',
            'skein.budget.limit': 0.5,
            'skein.budget.used': expect.closeTo(0.6, 9),
          },
        }),
      ]);
      expect((await store.getBudgetEvents(sessionId)).map((e) => e.level)).toEqual(['warning', 'exceeded']);
    } finally {
      store.closeSync();
    }
    expect(crossings).toHaveLength(2);
  });

  it('does not refuse without enforce, and keeps other sessions going', async () => {
    const { processor, agent, crossings } = setup({ dbPath: tempDbPath(), budgets: { session: { maxTokens: 200 } } });
    const over = await agent.session({}, async (session) => {
      paidCall(agent, 0);
      paidCall(agent, 0);
      await processor.forceFlush();
      expect(processor.isOverBudget(session.sessionId)).toBe(true);
      paidCall(agent, 0);
      return session.sessionId;
    });
    const fresh = await agent.session({}, async (session) => {
      paidCall(agent, 0);
      await processor.forceFlush();
      return session.sessionId;
    });
    expect(crossings.map((c) => [c.sessionId, c.level])).toEqual([
      [over, 'warning'],
      [over, 'exceeded'],
    ]);
    expect(processor.isOverBudget(fresh)).toBe(false);
  });

  it('applies agent limits, on the main-thread writer too (a price table of the app\'s own making keeps writes on this thread)', async () => {
    const table = createPriceTable({ 'house-model': { inputPerMTok: 1000, outputPerMTok: 1000 } });
    const { processor, agent, crossings } = setup({
      dbPath: tempDbPath(),
      prices: { lookup: (model) => table.lookup(model) },
      budgets: { agents: { planner: { maxCostUsd: 0.2 } } },
      enforce: true,
    });
    expect((processor as unknown as { sink: unknown }).sink).toBeInstanceOf(InThreadSpanSink);
    await agent.session({ agentName: 'planner' }, async (session) => {
      // 120 tokens at $1000/MTok = $0.12 each, computed from the price table.
      for (let i = 0; i < 2; i++) {
        agent.modelCall({ provider: 'house', model: 'house-model' }, (call) => call.recordUsage({ inputTokens: 100, outputTokens: 20 }));
      }
      await processor.forceFlush();
      expect(() => agent.modelCall({ provider: 'house', model: 'house-model' }, () => undefined)).toThrow(
        `session ${session.sessionId} exceeded agent planner's cost budget: used $0.2400 of $0.2000`,
      );
    });
    expect(crossings.map((c) => `${c.scope}:${c.key}/${c.level}`)).toEqual(['agent:planner/warning', 'agent:planner/exceeded']);
  });

  it('prices cost on the writer thread with a price table made in code (createPriceTable crosses as data)', async () => {
    const { processor, agent, crossings } = setup({
      dbPath: tempDbPath(),
      prices: createPriceTable({ 'house-model': { inputPerMTok: 1000, outputPerMTok: 1000 } }),
      budgets: { session: { maxCostUsd: 0.1 } },
      enforce: true,
    });
    // Not the app thread: only a table with a lookup of the app's own making keeps writes there.
    expect((processor as unknown as { sink: unknown }).sink).toBeInstanceOf(WorkerSpanSink);
    await agent.session({}, async (session) => {
      agent.modelCall({ provider: 'house', model: 'house-model' }, (call) => call.recordUsage({ inputTokens: 100, outputTokens: 20 }));
      await processor.forceFlush();
      expect(() => paidCall(agent, 0)).toThrow(`session ${session.sessionId} exceeded its cost budget: used $0.1200 of $0.1000`);
    });
    expect(crossings.map((c) => `${c.metric}/${c.level}`)).toEqual(['costUsd/warning', 'costUsd/exceeded']);
  });

  it('reads budgets from a config file', async () => {
    const dbPath = tempDbPath();
    const configFile = join(dirname(dbPath), 'skein.config.json');
    writeFileSync(configFile, JSON.stringify({ budgets: { session: { maxTokens: 100 } } }));
    const { processor, agent, crossings } = setup({ dbPath, configFile, enforce: true });
    await agent.session({}, async (session) => {
      paidCall(agent, 0);
      await processor.forceFlush();
      expect(() => paidCall(agent, 0)).toThrow(`session ${session.sessionId} exceeded its token budget: used 120 of 100 tokens`);
    });
    expect(crossings.map((c) => c.level)).toEqual(['warning', 'exceeded']);
  });

  it("prices cost on the writer thread with the config file's prices", async () => {
    const dbPath = tempDbPath();
    const configFile = join(dirname(dbPath), 'skein.config.json');
    writeFileSync(
      configFile,
      JSON.stringify({
        budgets: { session: { maxCostUsd: 0.1 } },
        prices: { models: { 'file-model': { inputPerMTok: 1000, outputPerMTok: 1000 } } },
      }),
    );
    const { processor, agent, crossings } = setup({ dbPath, configFile, enforce: true });
    await agent.session({}, async (session) => {
      agent.modelCall({ provider: 'house', model: 'file-model' }, (call) => call.recordUsage({ inputTokens: 100, outputTokens: 20 }));
      await processor.forceFlush();
      expect(() => paidCall(agent, 0)).toThrow(`session ${session.sessionId} exceeded its cost budget: used $0.1200 of $0.1000`);
    });
    expect(crossings.map((c) => `${c.metric}/${c.level}`)).toEqual(['costUsd/warning', 'costUsd/exceeded']);
  });

  it('sends an onBudget that throws to the OTel error handler, never into the app', async () => {
    const errors: unknown[] = [];
    setGlobalErrorHandler((error) => errors.push(error));
    const processor = new SkeinSpanProcessor({
      dbPath: tempDbPath(),
      budgets: { session: { maxTokens: 10 } },
      onBudget: () => {
        throw new Error('callback bug');
      },
    });
    const provider = new BasicTracerProvider({ spanProcessors: [processor] });
    providers.push(provider);
    const agent = new AgentTracer({ tracerProvider: provider });
    await agent.session({}, async () => {
      paidCall(agent, 0);
    });
    await expect(processor.forceFlush()).resolves.toBeUndefined();
    expect(errors.map((e) => (e as Error).message)).toEqual(['callback bug', 'callback bug']);
  });

  it('refuses bad budgets and a bad config file when constructed', () => {
    expect(() => new SkeinSpanProcessor({ dbPath: tempDbPath(), budgets: { session: { maxCostUsd: -1 } } })).toThrow(BudgetConfigError);
    expect(() => new SkeinSpanProcessor({ dbPath: tempDbPath(), budgets: { session: { maxCostUsd: -1 } } })).toThrow(
      'SkeinSpanProcessor budgets: budgets.session.maxCostUsd: must be a number greater than 0, got -1',
    );
    const dbPath = tempDbPath();
    const configFile = join(dirname(dbPath), 'bad.json');
    writeFileSync(configFile, JSON.stringify({ budgets: { warnAtFraction: 2 } }));
    expect(() => new SkeinSpanProcessor({ dbPath, configFile })).toThrow(`${configFile}: budgets.warnAtFraction`);
  });
});
