import { describe, expect, it } from 'vitest';
import { stepsFromEvents } from '../../../src/model/agents/index.js';
import { CODEX_STEP_MODEL_CALL, CODEX_STEP_TOOL, CODEX_STEP_TURN } from '../../../src/model/agents/codex.js';
import { normalizeSpan } from '../../../src/model/normalize.js';
import type { RawLogRecord } from '../../../src/model/log-types.js';
import type { SpanRecord } from '../../../src/model/types.js';
import { attr, count, decodeRun } from './agent-fixture.js';

const eventsNamed = (logs: readonly RawLogRecord[], name: string) => logs.filter((r) => attr(r, 'event.name') === name);

/** The `codex.sse_event` records that carry a call's token counts (`response.completed`, sent twice: once with them). */
function usageEvents(logs: readonly RawLogRecord[]): RawLogRecord[] {
  return eventsNamed(logs, 'codex.sse_event').filter(
    (r) => attr(r, 'event.kind') === 'response.completed' && attr(r, 'input_token_count') !== undefined,
  );
}

function sum(records: readonly { attributes: unknown }[], key: string): number {
  return records.reduce((total, r) => total + count(attr(r, key)), 0);
}

function tokenTotals(steps: readonly SpanRecord[]) {
  const total = { input: 0, output: 0, reasoning: 0, cacheRead: 0, cacheWrite: 0 };
  for (const step of steps) {
    total.input += step.usage.input ?? 0;
    total.output += step.usage.output ?? 0;
    total.reasoning += step.usage.reasoning ?? 0;
    total.cacheRead += step.usage.cacheRead ?? 0;
    total.cacheWrite += step.usage.cacheWrite ?? 0;
  }
  return total;
}

describe.each(['exec-http-binary', 'exec-grpc'])('Codex CLI capture %s', (scenario) => {
  const run = decodeRun('codex', scenario);
  const spans = run.spans.map((span) => normalizeSpan(span));
  const steps = stepsFromEvents(run.logs).map((span) => normalizeSpan(span));
  const conversations = new Set(run.logs.map((r) => attr(r, 'conversation.id')).filter((id) => id !== undefined));

  it('is one conversation, the session key of its steps and of every span that names one', () => {
    expect(conversations.size).toBe(1);
    const [conversation] = conversations;
    expect(steps.length).toBeGreaterThan(0);
    for (const step of steps) expect(step.sessionId).toBe(conversation);
    const keyed = spans.filter((s) => s.sessionId !== null);
    expect(keyed.length).toBeGreaterThan(0);
    for (const span of keyed) expect(span.sessionId).toBe(conversation);
  });

  it('keeps every span it sent as internal plumbing of type other, none of them a step', () => {
    expect(spans.length).toBe(run.spans.length);
    for (const span of spans) {
      expect(span.internal).toBe(true);
      expect(span.stepType).toBe('other');
      expect(span.agentName).toBe('codex');
    }
    // Its traces other than the turn's have no session key: sessions of plumbing only.
    const traces = new Set(spans.map((s) => s.traceId));
    const keyedTraces = new Set(spans.filter((s) => s.sessionId !== null).map((s) => s.traceId));
    expect(traces.size).toBeGreaterThan(keyedTraces.size);
  });

  it('makes one model call per response.completed usage event, with every token kind once', () => {
    const usage = usageEvents(run.logs);
    const calls = steps.filter((s) => s.stepType === 'llm');
    expect(usage.length).toBeGreaterThan(0);
    expect(calls.length).toBe(usage.length);
    for (const call of calls) {
      expect(call.name).toBe(CODEX_STEP_MODEL_CALL);
      expect(call.requestModel).toBe(attr(usage[0], 'model'));
      expect(call.internal).toBeUndefined();
    }
    expect(tokenTotals(calls)).toEqual({
      input: sum(usage, 'input_token_count'),
      output: sum(usage, 'output_token_count'),
      reasoning: sum(usage, 'reasoning_token_count'),
      cacheRead: sum(usage, 'cached_token_count'),
      cacheWrite: sum(usage, 'cache_write_token_count'),
    });
    // The same accounting is on the handle_responses spans that handled response.completed: kept there
    // as reported, but those spans are not model calls, so nothing is counted twice.
    const usageSpans = spans.filter((s) => s.name === 'handle_responses' && s.usage.input !== undefined);
    expect(usageSpans.length).toBe(calls.length);
    expect(tokenTotals(usageSpans).input).toBe(tokenTotals(calls).input);
    expect(usageSpans.every((s) => s.stepType === 'other')).toBe(true);
    // The other sse events (one per stream event, and the second response.completed) make no step.
    expect(eventsNamed(run.logs, 'codex.sse_event').length).toBeGreaterThan(usage.length);
  });

  it('makes one tool step per codex.tool_result, with its name, call id, arguments and output', () => {
    const results = eventsNamed(run.logs, 'codex.tool_result');
    const tools = steps.filter((s) => s.stepType === 'tool');
    expect(results.length).toBeGreaterThan(0);
    expect(tools.length).toBe(results.length);
    for (const [i, result] of results.entries()) {
      const tool = tools.find((t) => t.toolCallId === attr(result, 'call_id'));
      expect(tool, `tool step ${i}`).toBeDefined();
      expect(tool!.name).toBe(CODEX_STEP_TOOL);
      expect(tool!.toolName).toBe(attr(result, 'tool_name'));
      expect(tool!.input?.text).toContain(String(attr(result, 'arguments')));
      expect(tool!.output?.text).toContain(String(attr(result, 'output')).trim());
      expect(tool!.isError).toBe(attr(result, 'success') === 'false');
      const durationMs = Number(attr(result, 'duration_ms'));
      expect(tool!.endTimeUnixNano! - tool!.startTimeUnixNano).toBe(BigInt(Math.round(durationMs * 1e6)));
    }
  });

  it('makes the turn from codex.user_prompt, with the prompt as its input', () => {
    const prompts = eventsNamed(run.logs, 'codex.user_prompt');
    const turns = steps.filter((s) => s.stepType === 'turn');
    expect(turns.length).toBe(prompts.length);
    expect(turns.map((t) => t.input?.text)).toEqual(prompts.map((p) => attr(p, 'prompt')));
    expect(turns.every((t) => t.name === CODEX_STEP_TURN)).toBe(true);
    // Nothing else: the steps are the turns, model calls and tool calls.
    expect(steps.length).toBe(turns.length + usageEvents(run.logs).length + eventsNamed(run.logs, 'codex.tool_result').length);
  });

  it('derives the same step ids when the same records arrive again', () => {
    const again = stepsFromEvents(run.logs).map((s) => `${s.traceId}/${s.spanId}`);
    expect(again).toEqual(steps.map((s) => `${s.traceId}/${s.spanId}`));
    expect(new Set(again).size).toBe(again.length);
  });
});
