/**
 * The Codex CLI and Gemini CLI captures replayed as they were sent (HTTP and gRPC) to a real collector:
 * each run is one session of its agent with the model calls, tool calls and tokens computed from the
 * decoded fixture itself, counted once when the run is replayed again.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCollector } from '../../../src/collector/start-collector.js';
import type { RunningCollector } from '../../../src/collector/start-collector.js';
import type { RawLogRecord } from '../../../src/model/log-types.js';
import { listScenarios, replayScenario } from '../../fixtures/agents/replay.js';
import { attr, count, decodeRun } from './agent-fixture.js';

const named = (logs: readonly RawLogRecord[], name: string) => logs.filter((r) => attr(r, 'event.name') === name);
const sum = (records: readonly RawLogRecord[], key: string) => records.reduce((total, r) => total + count(attr(r, key)), 0);

describe('Codex CLI and Gemini CLI captures, replayed to a collector', () => {
  let dir: string;
  let collector: RunningCollector;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skein-coding-agents-replay-'));
    collector = await startCollector({ dbPath: join(dir, 'skein.db'), port: 0, grpcPort: 0 });
  });
  afterAll(async () => {
    await collector?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const replay = (scenarioDir: string) => replayScenario(scenarioDir, { httpUrl: collector.url, grpcPort: collector.grpcPort });

  it.each(listScenarios().filter((s) => s.program === 'codex'))(
    'codex $scenario: one session of the conversation with its calls and every token kind, once',
    async (scenario) => {
      const run = decodeRun('codex', scenario.scenario);
      const conversation = String(attr(run.logs[0], 'conversation.id'));
      const usage = named(run.logs, 'codex.sse_event').filter((r) => attr(r, 'input_token_count') !== undefined);
      for (let time = 0; time < 2; time++) {
        const answers = await replay(scenario.dir);
        expect(answers.every((a) => a.httpStatus === 200 || a.grpcCodes.every((code) => code === 0))).toBe(true);
        const session = await collector.store.getSession(conversation);
        expect({
          agent: session.agentName,
          llm: session.llmCallCount,
          tools: session.toolCallCount,
          tokens: session.tokens,
          models: session.models,
        }).toEqual({
          agent: 'codex',
          llm: usage.length,
          tools: named(run.logs, 'codex.tool_result').length,
          tokens: {
            input: sum(usage, 'input_token_count'),
            output: sum(usage, 'output_token_count'),
            reasoning: sum(usage, 'reasoning_token_count'),
            cacheRead: sum(usage, 'cached_token_count'),
            cacheWrite: sum(usage, 'cache_write_token_count'),
          },
          models: [...new Set(usage.map((r) => String(attr(r, 'model'))))],
        });
        expect(session.costUsd).toBeGreaterThan(0);
      }
    },
  );

  it.each(listScenarios().filter((s) => s.program === 'gemini-cli'))(
    'gemini-cli $scenario: one session across its per-call traces with its model and tool calls, once',
    async (scenario) => {
      const run = decodeRun('gemini-cli', scenario.scenario);
      const sessionId = String(run.spans[0].resource.attributes['session.id']);
      const calls = run.spans.filter((s) => s.name === 'llm_call');
      for (let time = 0; time < 2; time++) {
        await replay(scenario.dir);
        const session = await collector.store.getSession(sessionId);
        expect({
          agent: session.agentName,
          llm: session.llmCallCount,
          tools: session.toolCallCount,
          traces: session.traceIds.length,
          input: session.tokens.input,
        }).toEqual({
          agent: 'gemini-cli',
          llm: calls.length,
          tools: run.spans.filter((s) => s.name === 'tool_call').length,
          // Its traces, and the one of the turns Skein makes from its user_prompt events.
          traces: new Set(run.spans.map((s) => s.traceId)).size + 1,
          input: calls.reduce((total, s) => total + count(attr(s, 'gen_ai.usage.input_tokens')), 0),
        });
      }
    },
  );
});
