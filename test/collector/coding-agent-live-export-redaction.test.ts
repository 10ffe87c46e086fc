/**
 * Issue 17: "Budgets, redaction, search, the live stream, export and the viewer work for these
 * sessions like any other." Budgets (coding-agent-budget), search (agent-search) and the viewer
 * (viewer-agents) have their own tests; this one checks the live stream, the Markdown export and
 * redaction on a session Skein builds from Claude Code's real default capture (log events only),
 * against `startCollector` with no tuning options.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startCollector } from '../../src/collector/start-collector.js';
import type { RunningCollector } from '../../src/collector/start-collector.js';
import type { RawLogRecord } from '../../src/model/log-types.js';
import { decodeLogsRequest, encodeLogsRequest } from '../../src/otlp/index.js';
import { AGENT_FIXTURES_DIR, listRequests, replayScenario, requestBodies } from '../fixtures/agents/replay.js';
import { expectedFromEvents } from '../model/agents/claude-code-fixture.js';
import { SseClient } from '../server/live-stream/sse-client.js';

const SCENARIO = join(AGENT_FIXTURES_DIR, 'claude-code', 'default');

function capturedLogs(): RawLogRecord[] {
  return listRequests(SCENARIO)
    .filter((r) => r.signal === 'logs')
    .flatMap((r) => requestBodies(r).flatMap((body) => decodeLogsRequest(body, r.format).records));
}

let collector: RunningCollector | undefined;
let live: SseClient | undefined;
let dir: string | undefined;
afterEach(async () => {
  live?.abort();
  await collector?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  collector = live = dir = undefined;
});

async function start(): Promise<RunningCollector> {
  dir = mkdtempSync(join(tmpdir(), 'skein-agent-live-'));
  collector = await startCollector({ dbPath: join(dir, 'skein.db'), port: 0 });
  return collector;
}

describe('a Claude Code session built from its events, like any other session', () => {
  it('streams its steps and its cost live, and exports its prompts and answers as Markdown', async () => {
    const expected = expectedFromEvents(capturedLogs());
    const { url } = await start();
    live = await SseClient.connect(`${url}/api/live?session=${encodeURIComponent(expected.sessionId)}`);
    const answers = await replayScenario(SCENARIO, { httpUrl: url, grpcPort: null });
    expect(answers.map((a) => a.httpStatus)).toEqual(answers.map(() => 200));

    type Change = { kind: string; step?: { stepType: string }; session?: { costUsd: number; llmCallCount: number } };
    const changes = () => live!.changes<Change>();
    const ended = (type: string) => changes().filter((c) => c.kind === 'span.ended' && c.step?.stepType === type).length;
    await live.waitFor(
      () => ended('llm') === expected.llmCalls && ended('tool') === expected.toolCalls,
      `${expected.llmCalls} model calls and ${expected.toolCalls} tool calls ended on the live stream`,
    );
    expect(ended('turn')).toBe(expected.turns);
    const sessions = changes().filter((c) => c.kind === 'session.updated');
    expect(sessions.at(-1)?.session?.llmCallCount).toBe(expected.llmCalls);
    expect(sessions.at(-1)?.session?.costUsd).toBeCloseTo(expected.suppliedCostUsd, 9);
    expect(changes().filter((c) => c.kind === 'log').length).toBeGreaterThan(0);
    // Titled by what it was asked first, in the list and on the live stream alike (not "claude-code" for every session).
    const firstPrompt = expected.prompts[0].replace(/\s+/g, ' ').trim();
    const title = firstPrompt.length > 80 ? `${firstPrompt.slice(0, 79)}…` : firstPrompt;
    const listed = (await (await fetch(`${url}/api/sessions`)).json()) as { items: { sessionId: string; title: string; agentName: string }[] };
    expect(listed.items.map((s) => [s.sessionId, s.title, s.agentName])).toEqual([[expected.sessionId, title, 'claude-code']]);
    expect((sessions.at(-1)?.session as { title?: string } | undefined)?.title).toBe(title);

    const exported = await fetch(`${url}/api/sessions/${encodeURIComponent(expected.sessionId)}/export?format=md`);
    expect(exported.status).toBe(200);
    const markdown = await exported.text();
    for (const text of [...expected.prompts, ...expected.responses]) expect(markdown).toContain(text);
  });

  it('redacts a secret typed into a prompt: in the turn, its stored event and search', async () => {
    const secret = 'sk-proj-' + 'Q7vX2mN9pL4kR8sT1wY6zB3c'.repeat(2);
    const records = capturedLogs().map((record) => {
      if (record.attributes['event.name'] !== 'user_prompt') return record;
      return { ...record, attributes: { ...record.attributes, prompt: `${String(record.attributes.prompt)} with key ${secret}` } };
    });
    const expected = expectedFromEvents(capturedLogs());
    const { url } = await start();
    const posted = await fetch(`${url}/v1/logs`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body: Buffer.from(encodeLogsRequest(records)),
    });
    expect(posted.status).toBe(200);

    const timeline = (await (await fetch(`${url}/api/sessions/${encodeURIComponent(expected.sessionId)}/timeline`)).json()) as {
      steps: { stepType: string; traceId: string; spanId: string }[];
    };
    const turns = timeline.steps.filter((s) => s.stepType === 'turn');
    expect(turns).toHaveLength(expected.turns);
    const trace = (await (await fetch(`${url}/api/traces/${turns[0].traceId}`)).json()) as {
      spans: { spanId: string; input: { text: string } | null; logs?: { body: unknown; attributes: Record<string, unknown> }[] }[];
    };
    const turn = trace.spans.find((s) => s.spanId === turns[0].spanId);
    expect(turn?.input?.text).toContain(expected.prompts[0]);
    expect(turn?.input?.text).toContain('[REDACTED:openai-key]');
    const everything = JSON.stringify(trace) + (await (await fetch(`${url}/api/logs?session=${encodeURIComponent(expected.sessionId)}`)).text());
    expect(everything).not.toContain(secret);
    expect(everything).toContain('[REDACTED:openai-key]');
    const search = async (q: string) => ((await (await fetch(`${url}/api/search?q=${encodeURIComponent(q)}`)).json()) as { hits: unknown[] }).hits;
    expect(await search('Q7vX2mN9pL4kR8sT1wY6zB3c')).toEqual([]);
    expect((await search(expected.prompts[0])).length).toBeGreaterThan(0);
  });
});
