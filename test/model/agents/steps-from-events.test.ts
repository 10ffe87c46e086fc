/**
 * Claude Code without its beta traces (its default) sends log events only: stepsFromEvents makes its
 * steps from them. Checked on the real capture (test/fixtures/agents/claude-code/default), expected
 * numbers computed from the events themselves.
 */
import { describe, expect, it } from 'vitest';
import { ATTR_SKEIN_DERIVED_FROM, stepsFromEvents } from '../../../src/model/agents/index.js';
import type { RawLogRecord } from '../../../src/model/log-types.js';
import { normalizeSpan } from '../../../src/model/normalize.js';
import { claudeCodeLogs, expectedFromEvents } from './claude-code-fixture.js';

const close = (a: number, b: number) => Math.abs(a - b) < 1e-9;

describe('stepsFromEvents on Claude Code events', () => {
  const records = claudeCodeLogs('default');
  const expected = expectedFromEvents(records);

  it('makes a turn per prompt, a model call per api_request and a tool call per tool_result, with every token kind and the supplied cost', () => {
    expect(expected.llmCalls).toBeGreaterThan(0);
    expect(expected.toolCalls).toBeGreaterThan(0);
    const steps = stepsFromEvents(records).map((span) => normalizeSpan(span));
    expect(steps).toHaveLength(expected.turns + expected.llmCalls + expected.toolCalls);
    const by = (type: string) => steps.filter((s) => s.stepType === type);
    expect(by('turn')).toHaveLength(expected.turns);
    expect(by('llm')).toHaveLength(expected.llmCalls);
    expect(by('tool')).toHaveLength(expected.toolCalls);
    for (const step of steps) {
      expect(step.sessionId).toBe(expected.sessionId);
      expect(step.agentName).toBe('claude-code');
      expect(step.raw.attributes[ATTR_SKEIN_DERIVED_FROM]).toBe('log');
    }
    const llm = by('llm');
    const total = (pick: (s: (typeof llm)[number]) => number | undefined) => llm.reduce((t, s) => t + (pick(s) ?? 0), 0);
    expect({
      input: total((s) => s.usage.input),
      output: total((s) => s.usage.output),
      cacheRead: total((s) => s.usage.cacheRead),
      cacheWrite: total((s) => s.usage.cacheWrite),
    }).toEqual(expected.tokens);
    expect(llm.every((s) => s.cost?.source === 'supplied')).toBe(true);
    expect(close(total((s) => s.cost?.usd), expected.suppliedCostUsd)).toBe(true);
    expect([...new Set(llm.map((s) => s.requestModel))].sort()).toEqual(expected.models);
  });

  it('one trace per session; every step a child of its turn; the turn spans its steps; durations from duration_ms', () => {
    const spans = stepsFromEvents(records);
    const turn = spans.find((s) => s.name === 'claude_code.interaction');
    expect(turn).toBeDefined();
    expect(new Set(spans.map((s) => s.traceId)).size).toBe(1);
    for (const span of spans) {
      if (span === turn) continue;
      expect(span.parentSpanId).toBe(turn?.spanId);
      expect(span.startTimeUnixNano >= (turn?.startTimeUnixNano ?? 0n)).toBe(true);
      expect((span.endTimeUnixNano ?? 0n) <= (turn?.endTimeUnixNano ?? 0n)).toBe(true);
    }
    const request = records.find((r) => r.attributes['event.name'] === 'api_request') as RawLogRecord;
    const step = spans.find((s) => s.attributes.request_id === request.attributes.request_id);
    expect(step?.endTimeUnixNano).toBe(request.timeUnixNano);
    expect(step?.startTimeUnixNano).toBe(request.timeUnixNano - BigInt(Number(request.attributes.duration_ms)) * 1_000_000n);
  });

  it('the same events give the same ids (a replay writes the same steps)', () => {
    const once = stepsFromEvents(records).map((s) => `${s.traceId}/${s.spanId}/${String(s.parentSpanId)}`);
    const again = stepsFromEvents(claudeCodeLogs('default')).map((s) => `${s.traceId}/${s.spanId}/${String(s.parentSpanId)}`);
    expect(again).toEqual(once);
    expect(new Set(once).size).toBe(once.length);
  });

  it('the prompt is the turn input, each answer the output of its model call (by request_id), the tool input its arguments', () => {
    const steps = stepsFromEvents(records).map((span) => normalizeSpan(span));
    expect(steps.filter((s) => s.stepType === 'turn').map((s) => s.input?.text)).toEqual(expected.prompts);
    const outputs = steps.filter((s) => s.stepType === 'llm').map((s) => s.output?.text);
    expect(outputs.sort()).toEqual([...expected.responses].sort());
    for (const record of records.filter((r) => r.attributes['event.name'] === 'assistant_response')) {
      const call = steps.find((s) => s.raw.attributes.request_id === record.attributes.request_id);
      expect(call?.output?.text).toBe(record.attributes.response);
    }
    const tools = steps.filter((s) => s.stepType === 'tool');
    const results = records.filter((r) => r.attributes['event.name'] === 'tool_result');
    expect(tools.map((s) => s.toolName).sort()).toEqual(results.map((r) => String(r.attributes.tool_name)).sort());
    for (const tool of tools) expect(tool.input?.text).toBe(tool.raw.attributes.tool_input);
  });

  it('a failed tool_result is a failed step with its error', () => {
    const failed = records.map((r) =>
      r.attributes['event.name'] === 'tool_result' ? { ...r, attributes: { ...r.attributes, success: 'false', error: 'permission denied' } } : r,
    );
    const tools = stepsFromEvents(failed).map((span) => normalizeSpan(span)).filter((s) => s.stepType === 'tool');
    expect(tools.length).toBe(expected.toolCalls);
    for (const tool of tools) {
      expect(tool.isError).toBe(true);
      expect(tool.statusMessage).toBe('permission denied');
    }
  });

  it('events tied to spans (beta traces on) make no steps: the spans are the steps, tokens counted once', () => {
    const withSpans = claudeCodeLogs('beta-traces');
    expect(withSpans.some((r) => r.attributes['event.name'] === 'api_request')).toBe(true);
    expect(withSpans.every((r) => r.traceId !== null)).toBe(true);
    expect(stepsFromEvents(withSpans)).toEqual([]);
  });

  it('records of no known agent, or without a session, make no steps', () => {
    const other = records.map((r) => ({ ...r, resource: { ...r.resource, attributes: { 'service.name': 'my-app' } }, scope: { ...r.scope, name: 'x' }, body: 'api_request' }));
    expect(stepsFromEvents(other)).toEqual([]);
    const sessionless = records.map((r) => {
      const attributes = { ...r.attributes };
      delete attributes['session.id'];
      return { ...r, attributes };
    });
    expect(stepsFromEvents(sessionless)).toEqual([]);
  });

  it('the OTLP/JSON capture of the same run gives the same steps as the protobuf one (ids aside)', () => {
    const json = claudeCodeLogs('default-http-json');
    const shape = (list: RawLogRecord[]) =>
      stepsFromEvents(list)
        .map((span) => normalizeSpan(span))
        .map((s) => `${s.stepType}:${s.toolName ?? ''}:${s.usage.output ?? ''}`)
        .sort();
    expect(shape(json)).toEqual(shape(records));
  });
});
