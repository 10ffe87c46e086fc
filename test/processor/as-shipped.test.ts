/**
 * README's "In a Node app" snippet, exactly as shipped: `SkeinSpanProcessor`
 * with a dbPath and nothing else, `AgentTracer` with only the provider, in a
 * directory that does not exist yet. Then README's promises, read back
 * through the store's public read API: one session, completed, the model
 * call's tokens and its cost from the shipped price table, the tool call with
 * its arguments.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { AgentTracer, SkeinSpanProcessor } from '../../src/index.js';
import { SqliteTraceStore } from '../../src/store/sqlite/index.js';
import prices from '../../src/model/prices.json' with { type: 'json' };

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

it('README snippet as shipped: one completed session, priced model call, tool call with its arguments', async () => {
  const project = mkdtempSync(join(tmpdir(), 'skein-as-shipped-'));
  dirs.push(project);
  const dbPath = join(project, 'data', 'traces.db');

  // --- README, verbatim but for the path ---
  const processor = new SkeinSpanProcessor({ dbPath });
  const provider = new BasicTracerProvider({ spanProcessors: [processor] });
  const agent = new AgentTracer({ tracerProvider: provider });

  await agent.session({ agentName: 'researcher' }, async () => {
    await agent.modelCall({ provider: 'openai', model: 'gpt-4o' }, async (call) => {
      call.recordUsage({ inputTokens: 1200, outputTokens: 300 });
    });
    await agent.toolCall({ name: 'search', arguments: { q: 'otel' } }, async () => ['…']);
  });
  await provider.shutdown();
  // --- end of README ---

  expect(processor.failedSpans).toBe(0);
  expect(processor.droppedSpans).toBe(0);

  const store = new SqliteTraceStore({ path: dbPath, readonly: true });
  try {
    const { items: sessions } = await store.listSessions();
    expect(sessions).toHaveLength(1);
    const [session] = sessions;
    expect(session.status).toBe('completed');
    expect(session.agentName).toBe('researcher');
    expect(session.spanCount).toBe(3);
    expect(session.llmCallCount).toBe(1);
    expect(session.toolCallCount).toBe(1);
    expect(session.openCount).toBe(0);
    expect(session.interruptedCount).toBe(0);
    expect(session.tokens).toMatchObject({ input: 1200, output: 300 });

    // The shipped table's gpt-4o price, applied by hand: 1200 in, 300 out.
    const price = (prices as { models: Record<string, { inputPerMTok: number; outputPerMTok: number }> }).models['gpt-4o'];
    const expectedUsd = (1200 * price.inputPerMTok + 300 * price.outputPerMTok) / 1_000_000;
    expect(expectedUsd).toBeGreaterThan(0);
    expect(session.costUsd).toBeCloseTo(expectedUsd, 12);
    expect(session.computedCostUsd).toBeCloseTo(expectedUsd, 12);
    expect(session.unpricedCallCount).toBe(0);

    const { items: spans } = await store.getSpans({ sessionId: session.sessionId, limit: 10 });
    const model = spans.find((span) => span.stepType === 'llm');
    expect(model).toMatchObject({ provider: 'openai', requestModel: 'gpt-4o', unpriced: false });
    expect(model?.usage).toMatchObject({ input: 1200, output: 300 });
    expect(model?.cost?.source).toBe('computed');
    expect(model?.cost?.usd).toBeCloseTo(expectedUsd, 12);

    const tool = spans.find((span) => span.stepType === 'tool');
    expect(tool?.toolName).toBe('search');
    expect(JSON.parse(tool?.input?.text ?? 'null')).toEqual({ q: 'otel' });

    const timeline = await store.getTimeline(session.sessionId);
    expect(timeline.map((step) => step.depth)).toEqual([0, 1, 1]);
  } finally {
    await store.close();
  }
});
