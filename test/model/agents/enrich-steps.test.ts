/**
 * Claude Code's events enriching its beta spans (enrich-steps.ts), on the real capture: each
 * llm_request span gets the cost_usd and the answer of the events with its request_id; tokens stay the
 * span's own. Each claude_code.tool span gets the arguments and the outcome of the tool_result event
 * with its tool_use_id, and its result from its own `tool.output` span event (OTEL_LOG_TOOL_CONTENT=1).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { agentForLog, agentForSpan, enrichSpan, eventEnrichmentKey, spanEnrichmentKey } from '../../../src/model/agents/index.js';
import type { RawLogRecord } from '../../../src/model/log-types.js';
import { normalizeSpan } from '../../../src/model/normalize.js';
import { decodeTraceRequest } from '../../../src/otlp/index.js';
import { CLAUDE_CODE_FIXTURES, claudeCodeLogs } from './claude-code-fixture.js';

const spansOf = (scenario: string) => decodeTraceRequest(readFileSync(join(CLAUDE_CODE_FIXTURES, scenario, 'traces-1.pb')), 'protobuf').spans;
const spans = spansOf('beta-traces');
const events = claudeCodeLogs('beta-traces');
const toolResultOf = (records: readonly RawLogRecord[], toolUseId: unknown) =>
  records.find((e) => e.attributes['event.name'] === 'tool_result' && e.attributes.tool_use_id === toolUseId);

describe('enrichSpan on Claude Code beta spans', () => {
  it('an llm_request span gets the supplied cost and the answer of its request_id, its tokens unchanged', () => {
    const calls = spans.filter((s) => s.name === 'claude_code.llm_request').map((s) => normalizeSpan(s));
    expect(calls.length).toBeGreaterThan(0);
    for (const call of calls) {
      const key = spanEnrichmentKey(call, agentForSpan(call.raw));
      expect(key?.joinValue).toBe(call.raw.attributes.request_id);
      const usage = { ...call.usage };
      expect(enrichSpan(call, key!.enrich, events, 4096)).toBe(true);
      const mine = events.filter((e) => e.attributes.request_id === call.raw.attributes.request_id);
      const request = mine.find((e) => e.attributes['event.name'] === 'api_request');
      const answer = mine.find((e) => e.attributes['event.name'] === 'assistant_response');
      expect(call.cost).toEqual({ usd: request?.attributes.cost_usd, source: 'supplied' });
      expect(call.output?.text).toBe(answer?.attributes.response);
      expect(call.usage).toEqual(usage);
      // Nothing new a second time.
      expect(enrichSpan(call, key!.enrich, events, 4096)).toBe(false);
    }
  });

  it('a claude_code.tool span gets the arguments of the tool_result event with its tool_use_id and the result of its tool.output span event', () => {
    const content = claudeCodeLogs('beta-content');
    const tools = spansOf('beta-content').filter((s) => s.name === 'claude_code.tool').map((s) => normalizeSpan(s));
    expect(tools.length).toBeGreaterThan(0);
    for (const tool of tools) {
      const key = spanEnrichmentKey(tool, agentForSpan(tool.raw));
      expect(key?.joinValue).toBe(tool.raw.attributes.tool_use_id);
      const result = toolResultOf(content, tool.raw.attributes.tool_use_id);
      const output = tool.raw.events.find((e) => e.name === 'tool.output');
      expect(result?.attributes.tool_input).toBeTypeOf('string');
      expect(enrichSpan(tool, key!.enrich, content, 4096)).toBe(true);
      // The full input the tool was called with (OTEL_LOG_TOOL_DETAILS=1), not the span's one-attribute summary.
      expect(tool.input?.text).toBe(result?.attributes.tool_input);
      expect(tool.output?.text).toBe(output?.attributes.content ?? output?.attributes.output);
      expect(tool.output?.text).toBeTypeOf('string');
      expect(tool.isError).toBe(false);
      expect(enrichSpan(tool, key!.enrich, content, 4096)).toBe(false);
    }
  });

  it('without tool content logging the tool span gets its arguments and no result', () => {
    for (const tool of spans.filter((s) => s.name === 'claude_code.tool').map((s) => normalizeSpan(s))) {
      const key = spanEnrichmentKey(tool, agentForSpan(tool.raw));
      expect(enrichSpan(tool, key!.enrich, events, 4096)).toBe(true);
      expect(tool.input?.text).toBe(toolResultOf(events, tool.raw.attributes.tool_use_id)?.attributes.tool_input);
      expect(tool.output).toBeNull();
    }
  });

  it('a tool_result that says the call failed makes the tool span an error with its message', () => {
    const tool = normalizeSpan(spans.find((s) => s.name === 'claude_code.tool')!);
    const result = toolResultOf(events, tool.raw.attributes.tool_use_id)!;
    const failed: RawLogRecord = { ...result, attributes: { ...result.attributes, success: 'false', error: 'Permission denied' } };
    const key = spanEnrichmentKey(tool, agentForSpan(tool.raw));
    expect(tool.isError).toBe(false);
    expect(enrichSpan(tool, key!.enrich, [failed], 4096)).toBe(true);
    expect(tool.isError).toBe(true);
    expect(tool.statusCode).toBe(2);
    expect(tool.statusMessage).toBe('Permission denied');
    expect(enrichSpan(tool, key!.enrich, [failed], 4096)).toBe(false);
  });

  it('only the cost, answer and tool result events of a traced session enrich; other spans are not enriched', () => {
    const enriching = events.filter((e) => eventEnrichmentKey(e, agentForLog(e)) !== undefined);
    expect(enriching.map((e) => e.attributes['event.name']).sort()).toEqual(
      events
        .filter((e) => ['api_request', 'assistant_response', 'tool_result'].includes(String(e.attributes['event.name'])))
        .map((e) => e.attributes['event.name'])
        .sort(),
    );
    for (const event of enriching) {
      const key = eventEnrichmentKey(event, agentForLog(event));
      expect(key?.enrich.spanName).toBe(event.attributes['event.name'] === 'tool_result' ? 'claude_code.tool' : 'claude_code.llm_request');
    }
    for (const span of spans.filter((s) => s.name !== 'claude_code.llm_request' && s.name !== 'claude_code.tool')) {
      expect(spanEnrichmentKey(normalizeSpan(span), agentForSpan(span))).toBeUndefined();
    }
    const untraced = claudeCodeLogs('default');
    expect(untraced.filter((e) => eventEnrichmentKey(e, agentForLog(e)) !== undefined)).toEqual([]);
  });
});
