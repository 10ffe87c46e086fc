import { describe, expect, it } from 'vitest';
import { stepsFromEvents } from '../../../src/model/agents/index.js';
import { isApiResponse, joinResponseUsage, matchesResponse } from '../../../src/model/agents/gemini-cli.js';
import { normalizeSpan } from '../../../src/model/normalize.js';
import type { TokenUsage } from '../../../src/model/types.js';
import { attr, count, decodeRun } from './agent-fixture.js';

function addUp(usages: readonly TokenUsage[]) {
  const total = { input: 0, output: 0, reasoning: 0, cacheRead: 0, cacheWrite: 0 };
  for (const usage of usages) {
    total.input += usage.input ?? 0;
    total.output += usage.output ?? 0;
    total.reasoning += usage.reasoning ?? 0;
    total.cacheRead += usage.cacheRead ?? 0;
    total.cacheWrite += usage.cacheWrite ?? 0;
  }
  return total;
}

describe.each(['http-json', 'grpc-gzip'])('Gemini CLI capture %s', (scenario) => {
  const run = decodeRun('gemini-cli', scenario);
  const spans = run.spans.map((span) => normalizeSpan(span));
  const responses = run.logs.filter(isApiResponse);
  const sessions = new Set(run.spans.map((s) => s.resource.attributes['session.id']));

  it('is one session across its per-call traces: the resource session.id, on every span as gen_ai.conversation.id', () => {
    expect(sessions.size).toBe(1);
    const [session] = sessions;
    expect(new Set(spans.map((s) => s.traceId)).size).toBeGreaterThan(1);
    for (const span of spans) {
      expect(span.sessionId).toBe(session);
      expect(span.agentName).toBe('gemini-cli');
      expect(span.internal).toBeUndefined();
    }
    for (const record of run.logs) expect(attr(record, 'session.id')).toBe(session);
  });

  it('makes a model call of each llm_call span and a tool step of each tool_call span', () => {
    const calls = spans.filter((s) => s.stepType === 'llm');
    const tools = spans.filter((s) => s.stepType === 'tool');
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.map((s) => s.spanId)).toEqual(run.spans.filter((s) => attr(s, 'gen_ai.operation.name') === 'llm_call').map((s) => s.spanId));
    expect(tools.map((s) => s.spanId)).toEqual(run.spans.filter((s) => attr(s, 'gen_ai.operation.name') === 'tool_call').map((s) => s.spanId));
    expect(tools.length).toBeGreaterThan(0);
    for (const tool of tools) expect(tool.toolName).toBe(attr(tool.raw, 'gen_ai.tool.name'));
    for (const call of calls) {
      expect(call.requestModel).toBe(attr(call.raw, 'gen_ai.request.model'));
      expect(call.usage.input).toBe(count(attr(call.raw, 'gen_ai.usage.input_tokens')));
      expect(call.usage.output).toBe(count(attr(call.raw, 'gen_ai.usage.output_tokens')));
    }
    // Every other span (schedule_tool_calls) is neither.
    expect(spans.length - calls.length - tools.length).toBe(run.spans.filter((s) => !['llm_call', 'tool_call'].includes(s.name)).length);
    // Its events make one step only, the turn of each user_prompt with its text: its spans are the calls.
    const prompts = run.logs.filter((r) => attr(r, 'event.name') === 'gemini_cli.user_prompt');
    expect(prompts.length).toBeGreaterThan(0);
    expect(stepsFromEvents(run.logs).map((s) => [s.name, s.attributes.prompt])).toEqual(prompts.map((r) => ['user_prompt', attr(r, 'prompt')]));
  });

  it('joins each api_response event to exactly one model call, whether or not it has the span id', () => {
    const calls = spans.filter((s) => s.stepType === 'llm');
    expect(responses.length).toBe(calls.length);
    // The capture has both kinds: the routing call's event is tied to its span, the main calls' are not.
    expect(responses.some((r) => r.spanId !== null)).toBe(true);
    expect(responses.some((r) => r.spanId === null)).toBe(true);
    for (const response of responses) expect(calls.filter((c) => matchesResponse(c, response))).toHaveLength(1);
    for (const call of calls) expect(responses.filter((r) => matchesResponse(call, r))).toHaveLength(1);
    // Nothing but a model call matches.
    for (const span of spans.filter((s) => s.stepType !== 'llm')) {
      expect(responses.some((r) => matchesResponse(span, r))).toBe(false);
    }
  });

  it('counts every token kind once: cached and thoughts from the events, thoughts inside output', () => {
    const calls = spans.filter((s) => s.stepType === 'llm');
    const joined = calls.map((call) => joinResponseUsage(call, responses.find((r) => matchesResponse(call, r))!));
    const sum = (key: string) => responses.reduce((total, r) => total + count(attr(r, key)), 0);
    const thoughts = sum('thoughts_token_count');
    expect(thoughts).toBeGreaterThan(0);
    expect(sum('cached_content_token_count')).toBeGreaterThan(0);
    expect(addUp(joined)).toEqual({
      input: sum('input_token_count'),
      // Gemini's output count leaves the thought tokens out; Skein's output includes reasoning.
      output: sum('output_token_count') + thoughts,
      reasoning: thoughts,
      cacheRead: sum('cached_content_token_count'),
      cacheWrite: 0,
    });
    // The spans alone report the same input and visible output, without cache or thoughts: the join
    // replaces them and never adds the two.
    expect(addUp(calls.map((c) => c.usage)).input).toBe(sum('input_token_count'));
    expect(addUp(calls.map((c) => c.usage)).output).toBe(sum('output_token_count'));
    // Each event's total is the sum of its parts as Skein now counts them.
    for (const [i, usage] of joined.entries()) {
      const response = responses.find((r) => matchesResponse(calls[i], r))!;
      expect((usage.input ?? 0) + (usage.output ?? 0)).toBe(
        count(attr(response, 'total_token_count')) - count(attr(response, 'tool_token_count')),
      );
    }
  });
});
