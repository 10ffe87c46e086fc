import { describe, expect, it } from 'vitest';
import { isGenAiLog, isGenAiMetric } from '../../src/model/genai-filter.js';
import type { RawLogRecord } from '../../src/model/log-types.js';
import type { RawMetric } from '../../src/model/metric-types.js';
import type { Attributes } from '../../src/model/types.js';

function log(eventName: string, attributes: Attributes = {}, resourceAttributes: Attributes = {}): RawLogRecord {
  return {
    timeUnixNano: 1n,
    observedTimeUnixNano: 0n,
    severityNumber: 9,
    severityText: '',
    body: 'text',
    attributes,
    droppedAttributesCount: 0,
    flags: 0,
    traceId: null,
    spanId: null,
    eventName,
    resource: { attributes: resourceAttributes, droppedAttributesCount: 0, schemaUrl: '' },
    scope: { name: '', version: '', attributes: {}, droppedAttributesCount: 0, schemaUrl: '' },
  };
}

function metric(name: string): RawMetric {
  const header = { name, description: '', unit: '', metadata: {}, resource: log('').resource, scope: log('').scope };
  return { ...header, type: 'gauge', points: [{ attributes: {}, startTimeUnixNano: 0n, timeUnixNano: 1n, flags: 0, value: 1 }] };
}

describe('--store genai for log records', () => {
  it.each([
    ['gen_ai.user.message', {}],
    ['gen_ai.client.inference.operation.details', {}],
    ['claude_code.api_request', {}],
    ['codex.tool_result', {}],
    ['gemini_cli.user_prompt', {}],
    ['', { 'event.name': 'claude_code.user_prompt' }],
    ['', { 'event.name': 'gen_ai.choice' }],
  ])('keeps the event %s %j', (eventName, attributes: Attributes) => {
    expect(isGenAiLog(log(eventName, attributes))).toBe(true);
  });

  it('keeps a record with a session key on itself or its resource', () => {
    expect(isGenAiLog(log('', { 'session.id': 's1' }))).toBe(true);
    expect(isGenAiLog(log('app.started', {}, { 'gen_ai.conversation.id': 'c1' }))).toBe(true);
  });

  it('drops plain application logs and near-miss names', () => {
    expect(isGenAiLog(log(''))).toBe(false);
    expect(isGenAiLog(log('http.request', { 'event.name': 'db.query', 'session.id': '' }))).toBe(false);
    expect(isGenAiLog(log('gen_ai', { 'event.name': 42 }))).toBe(false);
    expect(isGenAiLog(log('my.gen_ai.thing', { 'event.name': 'claude_codex' }))).toBe(false);
  });
});

describe('--store genai for metrics', () => {
  it('keeps GenAI and coding-agent metrics and drops the rest', () => {
    for (const name of ['gen_ai.client.token.usage', 'claude_code.cost.usage', 'codex.turns', 'gemini_cli.api.request.count']) {
      expect(isGenAiMetric(metric(name))).toBe(true);
    }
    for (const name of ['http.server.request.duration', 'process.cpu.time', 'gen_ai', 'codex']) {
      expect(isGenAiMetric(metric(name))).toBe(false);
    }
  });
});
