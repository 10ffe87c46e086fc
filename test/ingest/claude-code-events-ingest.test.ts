/**
 * Claude Code's default telemetry (log events only, no spans) through the real ingest pipeline: one
 * session with its model calls, tool calls, tokens of every kind and supplied cost, all computed from
 * the captured events themselves; replayed, it counts once; upstreams get the log records as they
 * arrived, not the steps made from them. With its beta traces on, the events add no second count.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CommitOutcome } from '../../src/ingest/ingest-commit.js';
import { createIngestPipeline } from '../../src/ingest/ingest-pipeline.js';
import { resolveIngestSettings } from '../../src/ingest/ingest-settings.js';
import type { BudgetConfig } from '../../src/model/budgets.js';
import { decodeTraceRequest } from '../../src/otlp/index.js';
import { openWritableStore } from '../../src/store/sqlite/database-file.js';
import { SqliteOutbox } from '../../src/store/sqlite/sqlite-outbox.js';
import { CLAUDE_CODE_FIXTURES, claudeCodeLogRequests, expectedFromEvents } from '../model/agents/claude-code-fixture.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function open(budgets?: BudgetConfig) {
  const dir = mkdtempSync(join(tmpdir(), 'skein-claude-code-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const dbPath = join(dir, 'skein.db');
  const store = openWritableStore({ path: dbPath });
  cleanups.push(() => store.close());
  const outcomes: CommitOutcome[] = [];
  const pipeline = createIngestPipeline({
    dbPath,
    store,
    outbox: new SqliteOutbox(store.database),
    settings: resolveIngestSettings({ upstreams: ['http://upstream.example:4318'], budgets }),
    afterCommit: (outcome) => outcomes.push(outcome),
  });
  cleanups.push(() => pipeline.close());
  return { store, pipeline, outcomes };
}

describe('Claude Code events only, through the ingest pipeline (writer thread, real file)', () => {
  it('is one session with its model calls, tool calls, every token kind and the supplied cost; a replay counts once', async () => {
    const { store, pipeline, outcomes } = open();
    const requests = claudeCodeLogRequests('default');
    const records = requests.flatMap((r) => r.records);
    const expected = expectedFromEvents(records);

    for (let replay = 0; replay < 2; replay++) {
      for (const request of requests) await pipeline.ingestLogs(request.records);
      const sessions = (await store.listSessions({})).items;
      expect(sessions.map((s) => s.sessionId)).toEqual([expected.sessionId]);
      const session = await store.getSession(expected.sessionId);
      expect(session.llmCallCount).toBe(expected.llmCalls);
      expect(session.toolCallCount).toBe(expected.toolCalls);
      expect(session.errorCount).toBe(expected.failedTools);
      expect(session.tokens).toEqual({ ...expected.tokens, reasoning: 0 });
      expect(Math.abs(session.suppliedCostUsd - expected.suppliedCostUsd)).toBeLessThan(1e-9);
      expect(Math.abs(session.costUsd - expected.suppliedCostUsd)).toBeLessThan(1e-9);
      expect(session.computedCostUsd).toBe(0);
      expect(session.agentName).toBe('claude-code');
      expect(session.status).toBe('completed');
      expect(session.spanCount).toBe(expected.turns + expected.llmCalls + expected.toolCalls);
      expect(session.models).toEqual(expected.models);
    }

    // The log records are stored as they arrived (twice: a replayed request is stored again) and are the
    // only thing queued for the upstream: the steps made from them are Skein's, not the agent's.
    expect((await store.listLogs({ sessionId: expected.sessionId, limit: 1000 })).items).toHaveLength(2 * records.length);
    for (const outcome of outcomes) expect(outcome.enqueued.map((e) => e.signal)).toEqual(['logs']);

    // The prompt and the answers are searchable.
    const promptHits = await store.search({ text: expected.prompts[0], limit: 20 });
    expect(promptHits.map((hit) => [hit.sessionId, hit.stepType])).toContainEqual([expected.sessionId, 'turn']);
    const answer = expected.responses[expected.responses.length - 1];
    const answerHits = await store.search({ text: answer.split(/\W+/).filter((w) => w.length > 5)[0], limit: 20 });
    expect(answerHits.map((hit) => [hit.sessionId, hit.stepType])).toContainEqual([expected.sessionId, 'llm']);
  });

  it('a turn whose steps arrive in later requests lasts until its last step ends', async () => {
    const { store, pipeline } = open();
    const records = claudeCodeLogRequests('default').flatMap((r) => r.records);
    const expected = expectedFromEvents(records);
    const firstCall = records.findIndex((r) => r.attributes['event.name'] === 'api_request');
    // As an agent exporting every few seconds sends them: the prompt and first call, then the rest.
    await pipeline.ingestLogs(records.slice(0, firstCall + 1));
    await pipeline.ingestLogs(records.slice(firstCall + 1));
    // The first request resent afterwards does not shorten the turn again.
    await pipeline.ingestLogs(records.slice(0, firstCall + 1));
    const steps = (await store.getSpans({ sessionId: expected.sessionId, limit: 100 })).items;
    expect(steps).toHaveLength(expected.turns + expected.llmCalls + expected.toolCalls);
    const turn = steps.find((s) => s.stepType === 'turn');
    const lastEnd = steps.reduce((max, s) => ((s.endTimeUnixNano ?? 0n) > max ? (s.endTimeUnixNano ?? 0n) : max), 0n);
    expect(turn?.endTimeUnixNano).toBe(lastEnd);
    expect(turn?.input?.text).toBe(expected.prompts[0]);
    expect(steps.filter((s) => s !== turn).every((s) => s.parentSpanId === turn?.spanId)).toBe(true);
  });

  it("a budget for the claude-code agent fires on the steps made from its events, once however often they are replayed", async () => {
    const records = claudeCodeLogRequests('default').flatMap((r) => r.records);
    const expected = expectedFromEvents(records);
    const limit = expected.suppliedCostUsd / 2;
    const { pipeline, outcomes } = open({ agents: { 'claude-code': { maxCostUsd: limit } } });
    await pipeline.ingestLogs(records);
    await pipeline.ingestLogs(records);
    const crossings = outcomes.flatMap((o) => o.crossings);
    const exceeded = crossings.filter((c) => c.level === 'exceeded');
    expect(exceeded.map((c) => [c.scope, c.key, c.metric, c.sessionId])).toEqual([['agent', 'claude-code', 'costUsd', expected.sessionId]]);
    expect(exceeded[0].used).toBeGreaterThanOrEqual(limit);
    expect(exceeded[0].spanId).not.toBeNull();
  });

  it.each(['spans first', 'events first', 'together'] as const)(
    'with the beta traces on (%s), the spans are the steps and count the tokens once; their events add the supplied cost and the answer',
    async (order) => {
      const { store, pipeline } = open();
      const dir = join(CLAUDE_CODE_FIXTURES, 'beta-traces');
      const spans = decodeTraceRequest(readFileSync(join(dir, 'traces-1.pb')), 'protobuf').spans;
      const records = claudeCodeLogRequests('beta-traces').flatMap((r) => r.records);
      const expected = expectedFromEvents(records);
      if (order === 'spans first') {
        await pipeline.ingest(spans);
        await pipeline.ingestLogs(records);
      } else if (order === 'events first') {
        await pipeline.ingestLogs(records);
        await pipeline.ingest(spans);
      } else {
        await Promise.all([pipeline.ingest(spans), pipeline.ingestLogs(records)]);
      }
      // Replayed: nothing counts twice.
      await pipeline.ingestLogs(records);

      const session = await store.getSession(expected.sessionId);
      const llmSpans = spans.filter((s) => s.name === 'claude_code.llm_request');
      const toolSpans = spans.filter((s) => s.name === 'claude_code.tool');
      expect(session.spanCount).toBe(spans.length);
      expect(session.llmCallCount).toBe(llmSpans.length);
      expect(session.toolCallCount).toBe(toolSpans.length);
      const sum = (key: string) => llmSpans.reduce((t, s) => t + Number(s.attributes[key] ?? 0), 0);
      expect(session.tokens.output).toBe(sum('output_tokens'));
      expect(session.tokens.cacheRead).toBe(sum('cache_read_tokens'));
      expect(session.tokens.cacheWrite).toBe(sum('cache_creation_tokens'));
      expect(session.tokens.input).toBe(sum('input_tokens') + sum('cache_read_tokens') + sum('cache_creation_tokens'));
      expect(Math.abs(session.suppliedCostUsd - expected.suppliedCostUsd)).toBeLessThan(1e-9);
      expect(session.computedCostUsd).toBe(0);

      const steps = (await store.getSpans({ sessionId: expected.sessionId, stepType: 'llm', limit: 100 })).items;
      expect(steps.map((s) => s.output?.text).sort()).toEqual([...expected.responses].sort());
      expect(steps.every((s) => s.cost?.source === 'supplied')).toBe(true);
    },
  );
});
