/**
 * Claude Code's default telemetry (log events only) captured over every transport it can use
 * (OTLP/HTTP protobuf, gzipped, JSON; OTLP/gRPC), replayed as it was sent to a real collector: each run
 * is one session of the claude-code agent with its model calls, tool calls, every token kind and the
 * supplied cost, computed from the decoded events themselves; replayed again, it counts once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCollector } from '../../src/collector/start-collector.js';
import type { RunningCollector } from '../../src/collector/start-collector.js';
import { decodeLogsRequest } from '../../src/otlp/index.js';
import { listRequests, listScenarios, replayScenario, requestBodies } from '../fixtures/agents/replay.js';
import { expectedFromEvents } from '../model/agents/claude-code-fixture.js';

/** The Claude Code runs without beta traces: no span in any request. */
const eventsOnly = listScenarios().filter(
  (s) => s.program === 'claude-code' && listRequests(s.dir).every((r) => r.signal !== 'traces'),
);

describe('Claude Code events-only captures, replayed to a collector', () => {
  let dir: string;
  let collector: RunningCollector;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skein-claude-code-replay-'));
    collector = await startCollector({ dbPath: join(dir, 'skein.db'), port: 0, grpcPort: 0 });
  });
  afterAll(async () => {
    await collector?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('covers both transports', () => {
    const transports = new Set(eventsOnly.flatMap((s) => listRequests(s.dir).map((r) => r.transport)));
    expect(transports).toEqual(new Set(['http', 'grpc']));
  });

  it.each(eventsOnly)('$scenario: one session with its calls, tokens and supplied cost, counted once when replayed twice', async (scenario) => {
    const records = listRequests(scenario.dir)
      .filter((r) => r.signal === 'logs')
      .flatMap((r) => requestBodies(r).flatMap((body) => decodeLogsRequest(body, r.format).records));
    const expected = expectedFromEvents(records);
    expect(expected.llmCalls).toBeGreaterThan(0);

    for (let replay = 0; replay < 2; replay++) {
      const answers = await replayScenario(scenario.dir, { httpUrl: collector.url, grpcPort: collector.grpcPort });
      expect(answers.every((a) => a.httpStatus === 200)).toBe(true);
      const session = await collector.store.getSession(expected.sessionId);
      expect({
        agent: session.agentName,
        llm: session.llmCallCount,
        tools: session.toolCallCount,
        steps: session.spanCount,
        tokens: session.tokens,
        models: session.models,
      }).toEqual({
        agent: 'claude-code',
        llm: expected.llmCalls,
        tools: expected.toolCalls,
        steps: expected.turns + expected.llmCalls + expected.toolCalls,
        tokens: { ...expected.tokens, reasoning: 0 },
        models: expected.models,
      });
      expect(Math.abs(session.suppliedCostUsd - expected.suppliedCostUsd)).toBeLessThan(1e-9);
      expect(session.computedCostUsd).toBe(0);
    }
  });
});
