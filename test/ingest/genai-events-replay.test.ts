/**
 * `@opentelemetry/instrumentation-openai` as captured (test/fixtures/agents/sdk-otel-openai/chat-content):
 * tokens on its chat spans, the conversation in GenAI log events tied to them, the history re-sent with
 * each call. Replayed to a real collector as captured (logs before traces) and in the other order, each
 * call gets its conversation from its events; the answer is searchable; the re-sent system prompt, user
 * prompt and tool result are in the session's text once, not once per call. Expected values are read off
 * the decoded fixture.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startCollector } from '../../src/collector/start-collector.js';
import type { RunningCollector } from '../../src/collector/start-collector.js';
import type { RawLogRecord } from '../../src/model/log-types.js';
import type { AttributeValue, RawSpan } from '../../src/model/types.js';
import { decodeLogsRequest, decodeTraceRequest } from '../../src/otlp/index.js';
import { AGENT_FIXTURES_DIR, listRequests, replayHttp, requestBodies } from '../fixtures/agents/replay.js';
import type { CapturedRequest } from '../fixtures/agents/replay.js';

const SCENARIO = join(AGENT_FIXTURES_DIR, 'sdk-otel-openai', 'chat-content');

interface Fixture {
  spans: RawSpan[];
  events: RawLogRecord[];
}

function decodeFixture(): Fixture {
  const fixture: Fixture = { spans: [], events: [] };
  for (const request of listRequests(SCENARIO)) {
    for (const body of requestBodies(request)) {
      if (request.signal === 'traces') fixture.spans.push(...decodeTraceRequest(body, request.format).spans);
      if (request.signal === 'logs') fixture.events.push(...decodeLogsRequest(body, request.format).records);
    }
  }
  return fixture;
}

const record = (value: AttributeValue | undefined): Record<string, AttributeValue> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array) ? value : {};
const nameOf = (event: RawLogRecord): unknown => event.attributes['event.name'];
const occurrences = (text: string, part: string): number => text.split(part).length - 1;

describe.each([
  { order: 'as captured (logs first)', sort: (requests: CapturedRequest[]) => requests },
  {
    order: 'traces first',
    sort: (requests: CapturedRequest[]) => [...requests.filter((r) => r.signal === 'traces'), ...requests.filter((r) => r.signal !== 'traces')],
  },
])('instrumentation-openai capture replayed $order', ({ sort }) => {
  let dir: string;
  let collector: RunningCollector;
  const fixture = decodeFixture();
  const calls = fixture.spans.filter((s) => s.attributes['gen_ai.operation.name'] === 'chat');
  const traceId = calls[0].traceId;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skein-genai-events-'));
    collector = await startCollector({ dbPath: join(dir, 'skein.db'), port: 0 });
    const requests = sort(listRequests(SCENARIO));
    expect(requests.map((r) => r.signal)).toContain('logs');
    for (const request of requests) expect((await replayHttp(collector.url, request)).httpStatus).toBe(200);
  });
  afterEach(async () => {
    await collector?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The run's session: the `session.id` of its resource (the program sets it there only), for its spans and its events alike. */
  async function sessionId(): Promise<string> {
    const expected = calls[0].resource.attributes['session.id'];
    expect(typeof expected).toBe('string');
    const spans = (await collector.store.getSpans({ traceId })).items;
    expect([...new Set(spans.map((s) => s.resolvedSessionId))]).toEqual([expected]);
    const events = (await collector.store.listLogs({ traceId, limit: 1000 })).items;
    expect(events).toHaveLength(fixture.events.length);
    expect(new Set(events.map((e) => e.sessionId))).toEqual(new Set([expected]));
    return spans[0].resolvedSessionId;
  }

  it('one session with its model calls and their tokens, each call with its input and output from its events', async () => {
    expect(calls.length).toBeGreaterThan(1);
    const session = await collector.store.getSession(await sessionId());
    const input = calls.reduce((n, s) => n + Number(s.attributes['gen_ai.usage.input_tokens']), 0);
    const output = calls.reduce((n, s) => n + Number(s.attributes['gen_ai.usage.output_tokens']), 0);
    expect({ spans: session.spanCount, llm: session.llmCallCount, input: session.tokens.input, output: session.tokens.output }).toEqual({
      spans: fixture.spans.length,
      llm: calls.length,
      input,
      output,
    });

    const stored = (await collector.store.getSpans({ traceId, stepType: 'llm' })).items;
    for (const call of calls) {
      const span = stored.find((s) => s.spanId === call.spanId);
      const events = fixture.events.filter((e) => e.spanId === call.spanId);
      const choice = record(record(events.find((e) => nameOf(e) === 'gen_ai.choice')?.body).message);
      const fn = record(record((choice.tool_calls as AttributeValue[] | undefined)?.[0]).function);
      const answer = typeof choice.content === 'string' ? choice.content : `${String(fn.name)}(${String(fn.arguments)})`;
      expect(span?.output?.text).toBe(`assistant: ${answer}`);
      expect(span?.input).not.toBeNull();
    }
    // The first call's input is every message it sent, in order.
    const first = [...calls].sort((a, b) => Number(a.startTimeUnixNano - b.startTimeUnixNano))[0];
    const sent = fixture.events.filter((e) => e.spanId === first.spanId && nameOf(e) !== 'gen_ai.choice');
    const roles: Record<string, string> = { 'gen_ai.system.message': 'system', 'gen_ai.user.message': 'user' };
    expect(stored.find((s) => s.spanId === first.spanId)?.input?.text).toBe(
      sent.map((e) => `${roles[String(nameOf(e))]}: ${String(record(e.body).content)}`).join('\n'),
    );
  });

  it('the answer is found by search; the re-sent history is in the session text once', async () => {
    const id = await sessionId();
    const answer = String(record(record(fixture.events.find((e) => nameOf(e) === 'gen_ai.choice' && record(record(e.body).message).content)?.body).message).content);
    const search = async (q: string) =>
      ((await (await fetch(`${collector.url}/api/search?q=${encodeURIComponent(q)}`)).json()) as { hits: { sessionId: string; spanId: string }[] }).hits;
    const answered = fixture.events.filter((e) => nameOf(e) === 'gen_ai.choice' && record(record(e.body).message).content === answer);
    expect((await search(answer)).map((h) => h.spanId).sort()).toEqual(answered.map((e) => e.spanId).sort());

    const markdown = await (await fetch(`${collector.url}/api/sessions/${encodeURIComponent(id)}/export?format=md`)).text();
    const resent = ['gen_ai.system.message', 'gen_ai.user.message', 'gen_ai.tool.message'].map(
      (name) => String(record(fixture.events.find((e) => nameOf(e) === name)?.body).content),
    );
    for (const text of resent) {
      // Sent with more than one call, in the session text once.
      expect(fixture.events.filter((e) => record(e.body).content === text).length).toBeGreaterThan(1);
      expect(occurrences(markdown, text)).toBe(1);
      expect(await search(`"${text}"`)).toHaveLength(1);
    }
    // Each answer is an answer of its own call: in the transcript once per call that gave it.
    expect(occurrences(markdown, answer)).toBe(answered.length);
  });
});
