/**
 * Fills a SQLite store the way an app would: the real OTel SDK, the real
 * SkeinSpanProcessor and AgentTracer. Three sessions:
 *
 * - `sess-alpha` (agent researcher, user u-1): two model calls (one priced by
 *   the table, one with supplied cost), a tool call, a reasoning step and a
 *   tool call that fails.
 * - `sess-beta` (agent coder, user u-2): one call to a model with no price.
 * - `sess-open`: a root step never ended by a process that then went away
 *   (interrupted), with one ended model call under it.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll } from 'vitest';
import { AgentTracer } from '../../../src/processor/agent-tracer.js';
import { SkeinSpanProcessor } from '../../../src/processor/skein-span-processor.js';
import { SqliteTraceStore } from '../../../src/store/sqlite/index.js';

export const ALPHA = {
  sessionId: 'sess-alpha',
  agentName: 'researcher',
  userId: 'u-1',
  question: 'What is the capital of France? Use the search tool.',
  mini: { inputTokens: 1200, outputTokens: 80, cacheReadTokens: 200 },
  claude: { inputTokens: 3000, outputTokens: 400, reasoningTokens: 150 },
  claudeCostUsd: 0.5,
  reasoning: 'The search result names Paris; a zebra-free answer is enough.',
  answer: 'The capital of France is Paris.',
  toolName: 'web_search',
  failingTool: 'fetch_page',
};

export const BETA = {
  sessionId: 'sess-beta',
  agentName: 'coder',
  userId: 'u-2',
  model: 'my-local-model',
  usage: { inputTokens: 50, outputTokens: 10 },
  input: 'Refactor the zebra module',
};

export const OPEN = { sessionId: 'sess-open', usage: { inputTokens: 7, outputTokens: 3 } };

export interface Seeded {
  dir: string;
  dbPath: string;
  cleanup(): void;
}

export function tempDir(prefix = 'skein-query-'): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export async function seedStore(): Promise<Seeded> {
  const { dir, cleanup } = tempDir();
  const dbPath = join(dir, 'skein.db');
  const processor = new SkeinSpanProcessor({ dbPath });
  const provider = new BasicTracerProvider({ spanProcessors: [processor] });
  const tracer = provider.getTracer('query-api-test', '1.0.0');
  const agent = new AgentTracer(tracer);

  await agent.session({ sessionId: ALPHA.sessionId, agentName: ALPHA.agentName, userId: ALPHA.userId }, async () => {
    agent.modelCall({ provider: 'openai', model: 'gpt-4o-mini' }, (call) => {
      call.recordInput(ALPHA.question);
      call.recordUsage(ALPHA.mini);
      call.recordOutput([{ role: 'assistant', parts: [{ type: 'tool_call', name: ALPHA.toolName, arguments: { q: 'capital of France' } }] }]);
    });
    agent.toolCall({ name: ALPHA.toolName, callId: 'call-1', arguments: { q: 'capital of France' } }, () => ({ top: 'Paris' }));
    agent.reasoning({ name: 'decide' }, (step) => step.recordText(ALPHA.reasoning));
    try {
      agent.toolCall({ name: ALPHA.failingTool, arguments: { url: 'https://example.invalid' } }, () => {
        throw new Error('connection refused');
      });
    } catch {
      // the agent carries on without the page
    }
    agent.modelCall({ provider: 'anthropic', model: 'claude-sonnet-4-5' }, (call) => {
      call.recordInput('Answer with the search result.');
      call.recordUsage(ALPHA.claude);
      call.recordCost(ALPHA.claudeCostUsd);
      call.recordOutput(ALPHA.answer);
    });
  });

  agent.session({ sessionId: BETA.sessionId, agentName: BETA.agentName, userId: BETA.userId }, () => {
    agent.modelCall({ provider: 'local', model: BETA.model }, (call) => {
      call.recordInput(BETA.input);
      call.recordUsage(BETA.usage);
      call.recordOutput('Done.');
    });
  });

  // A root step that is never ended: the processor records it open at start.
  const root = tracer.startSpan('invoke_agent stuck', { attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.conversation.id': OPEN.sessionId } });
  const { context, trace } = await import('@opentelemetry/api');
  const ctx = trace.setSpan(context.active(), root);
  const child = tracer.startSpan(
    'chat gpt-4o-mini',
    {
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': 'gpt-4o-mini',
        'gen_ai.usage.input_tokens': OPEN.usage.inputTokens,
        'gen_ai.usage.output_tokens': OPEN.usage.outputTokens,
        'gen_ai.conversation.id': OPEN.sessionId,
      },
    },
    ctx,
  );
  child.end();
  // Shutting down closes the processor's own store: its open steps become interrupted.
  await provider.shutdown();
  return { dir, dbPath, cleanup };
}

/**
 * For a describe block that reads the seeded database: seeds it once before its tests, opens it
 * read-only, and closes and removes it after. `store()` is the open store.
 */
export function useSeededStore(): { store(): SqliteTraceStore } {
  let seeded: Seeded | undefined;
  let store: SqliteTraceStore | undefined;
  beforeAll(async () => {
    seeded = await seedStore();
    store = new SqliteTraceStore({ path: seeded.dbPath, readonly: true });
  });
  afterAll(async () => {
    await store?.close();
    seeded?.cleanup();
  });
  return {
    store() {
      if (store === undefined) throw new Error('the seeded store is opened in beforeAll');
      return store;
    },
  };
}
