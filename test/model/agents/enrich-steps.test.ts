/**
 * Claude Code's events enriching its beta spans (enrich-steps.ts), on the real capture: each
 * llm_request span gets the cost_usd and the answer of the events with its request_id; tokens stay the
 * span's own.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { agentForLog, agentForSpan, enrichSpan, eventEnrichmentKey, spanEnrichmentKey } from '../../../src/model/agents/index.js';
import { normalizeSpan } from '../../../src/model/normalize.js';
import { decodeTraceRequest } from '../../../src/otlp/index.js';
import { CLAUDE_CODE_FIXTURES, claudeCodeLogs } from './claude-code-fixture.js';

const spans = decodeTraceRequest(readFileSync(join(CLAUDE_CODE_FIXTURES, 'beta-traces', 'traces-1.pb')), 'protobuf').spans;
const events = claudeCodeLogs('beta-traces');

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

  it('only the cost and answer events of a traced session enrich; other spans are not enriched', () => {
    const enriching = events.filter((e) => eventEnrichmentKey(e, agentForLog(e)) !== undefined);
    expect(enriching.map((e) => e.attributes['event.name']).sort()).toEqual(
      events.filter((e) => ['api_request', 'assistant_response'].includes(String(e.attributes['event.name']))).map((e) => e.attributes['event.name']).sort(),
    );
    for (const span of spans.filter((s) => s.name !== 'claude_code.llm_request')) {
      expect(spanEnrichmentKey(normalizeSpan(span), agentForSpan(span))).toBeUndefined();
    }
    const untraced = claudeCodeLogs('default');
    expect(untraced.filter((e) => eventEnrichmentKey(e, agentForLog(e)) !== undefined)).toEqual([]);
  });
});
