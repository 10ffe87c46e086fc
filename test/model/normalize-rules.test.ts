import { describe, expect, it } from 'vitest';
import { createNormalizer, normalizeSpan } from '../../src/model/normalize.js';
import { createPriceTable } from '../../src/model/pricing.js';
import type { Attributes } from '../../src/model/types.js';
import { rawSpan } from './raw-span.js';

const norm = (attributes: Attributes, overrides = {}) => normalizeSpan(rawSpan(attributes, overrides));

describe('step type', () => {
  it('never comes from the span name', () => {
    expect(norm({}, { name: 'chat gpt-4o' }).stepType).toBe('other');
    expect(norm({}, { name: 'execute_tool get_weather' }).stepType).toBe('other');
    expect(norm({ 'gen_ai.operation.name': 'invoke_agent' }, { name: 'chat gpt-4o' }).stepType).toBe('agent');
  });

  it.each([
    ['gen_ai.operation.name', 'chat', 'llm'],
    ['gen_ai.operation.name', 'generate_content', 'llm'],
    ['gen_ai.operation.name', 'text_completion', 'llm'],
    ['gen_ai.operation.name', 'embeddings', 'llm'],
    ['gen_ai.operation.name', 'retrieval', 'retrieval'],
    ['gen_ai.operation.name', 'create_agent', 'agent'],
    ['gen_ai.operation.name', 'invoke_agent', 'agent'],
    ['gen_ai.operation.name', 'execute_tool', 'tool'],
    ['gen_ai.operation.name', 'invoke_workflow', 'workflow'],
    ['openinference.span.kind', 'LLM', 'llm'],
    ['openinference.span.kind', 'CHAIN', 'workflow'],
    ['openinference.span.kind', 'RETRIEVER', 'retrieval'],
    ['openinference.span.kind', 'TOOL', 'tool'],
    ['openinference.span.kind', 'AGENT', 'agent'],
    ['openinference.span.kind', 'EMBEDDING', 'llm'],
    ['openinference.span.kind', 'GUARDRAIL', 'other'],
    ['traceloop.span.kind', 'workflow', 'workflow'],
    ['traceloop.span.kind', 'task', 'workflow'],
    ['traceloop.span.kind', 'agent', 'agent'],
    ['traceloop.span.kind', 'tool', 'tool'],
    ['llm.request.type', 'completion', 'llm'],
    ['ai.operationId', 'ai.streamText', 'agent'],
    ['ai.operationId', 'ai.streamText.doStream', 'llm'],
    ['ai.operationId', 'ai.embed.doEmbed', 'llm'],
    ['ai.operationId', 'ai.toolCall', 'tool'],
    ['langfuse.observation.type', 'generation', 'llm'],
    ['langfuse.observation.type', 'retriever', 'retrieval'],
  ])('%s=%s is %s', (key, value, step) => {
    const record = norm({ [key]: value });
    expect(record.stepType).toBe(step);
    expect(record.operationName).toBe(value);
  });

  it('skips a value it does not know and keeps it as the reported operation', () => {
    const fallThrough = norm({ 'gen_ai.operation.name': 'summon_daemon', 'openinference.span.kind': 'TOOL' });
    expect(fallThrough.stepType).toBe('tool');
    expect(fallThrough.operationName).toBe('TOOL');
    const unknown = norm({ 'gen_ai.operation.name': 'summon_daemon' });
    expect(unknown.stepType).toBe('other');
    expect(unknown.operationName).toBe('summon_daemon');
  });

  it('gen_ai.operation.name wins over other dialects', () => {
    expect(norm({ 'gen_ai.operation.name': 'chat', 'traceloop.span.kind': 'tool' }).stepType).toBe('llm');
  });

  it('skein.step.type marks reasoning steps and keeps the dialect operation name', () => {
    const record = norm({ 'skein.step.type': 'reasoning', 'gen_ai.operation.name': 'chat', 'skein.reasoning.content': 'think' });
    expect(record.stepType).toBe('reasoning');
    expect(record.operationName).toBe('chat');
    expect(record.reasoning?.text).toBe('think');
    expect(norm({ 'skein.step.type': 'nonsense', 'gen_ai.operation.name': 'chat' }).stepType).toBe('llm');
  });
});

describe('session key', () => {
  const all: Attributes = {
    'traceloop.association.properties.session_id': 'traceloop',
    'ai.telemetry.metadata.sessionId': 'vercel',
    'langfuse.session.id': 'langfuse',
    'session.id': 'openinference',
    'gen_ai.conversation.id': 'genai',
  };
  const order = [
    'gen_ai.conversation.id',
    'session.id',
    'langfuse.session.id',
    'ai.telemetry.metadata.sessionId',
    'traceloop.association.properties.session_id',
  ];

  it('is the first present in ARCHITECTURE.md order, whatever the attribute order', () => {
    const attributes = { ...all };
    for (const key of order) {
      expect(norm(attributes).sessionId).toBe(all[key]);
      delete attributes[key];
    }
    expect(norm(attributes).sessionId).toBeNull();
  });

  it('skips empty values and coerces numeric ids', () => {
    expect(norm({ 'gen_ai.conversation.id': '', 'session.id': 's1' }).sessionId).toBe('s1');
    const numeric = norm({ 'session.id': 12345 });
    expect(numeric.sessionId).toBe('12345');
    expect(numeric.counts.coerced).toBe(1);
  });
});

describe('cost', () => {
  const llm = { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o', 'gen_ai.usage.input_tokens': 1000, 'gen_ai.usage.output_tokens': 100 };

  it('computed from the price table is marked computed', () => {
    const record = norm(llm);
    expect(record.cost?.source).toBe('computed');
    expect(record.cost?.usd).toBeCloseTo((1000 * 2.5 + 100 * 10) / 1e6, 12);
    expect(record.unpriced).toBe(false);
  });

  it.each<[string, Attributes, number]>([
    ['gen_ai.usage.cost', { 'gen_ai.usage.cost': 0.42 }, 0.42],
    ['llm.cost.total', { 'llm.cost.total': 0.3, 'llm.cost.prompt': 1, 'llm.cost.completion': 1 }, 0.3],
    ['llm.cost.prompt + completion', { 'llm.cost.prompt': 0.1, 'llm.cost.completion': 0.05 }, 0.15],
    ['llm.cost.prompt alone', { 'llm.cost.prompt': 0.1 }, 0.1],
    ['gen_ai.usage.input_cost + output_cost', { 'gen_ai.usage.input_cost': 0.2, 'gen_ai.usage.output_cost': 0.03 }, 0.23],
    ['Langfuse cost_details total (JSON)', { 'langfuse.observation.cost_details': '{"input":1,"output":2,"total":0.7}' }, 0.7],
    ['Langfuse cost_details parts (map)', { 'langfuse.observation.cost_details': { input: 0.25, output: 0.5 } }, 0.75],
    ['a decimal string', { 'gen_ai.usage.cost': '0.5' }, 0.5],
  ])('supplied %s wins over the price table', (_label, cost, usd) => {
    const record = norm({ ...llm, ...cost });
    expect(record.cost?.source).toBe('supplied');
    expect(record.cost?.usd).toBeCloseTo(usd, 12);
  });

  it('a supplied zero is still supplied', () => {
    expect(norm({ ...llm, 'gen_ai.usage.cost': 0 }).cost).toEqual({ usd: 0, source: 'supplied' });
  });

  it('prices dated model ids and prefers the response model', () => {
    const record = norm({ ...llm, 'gen_ai.request.model': 'claude-sonnet-4-5', 'gen_ai.response.model': 'claude-haiku-4-5-20251001' });
    expect(record.cost?.usd).toBeCloseTo((1000 * 1 + 100 * 5) / 1e6, 12);
  });

  it('falls back to the request model when the response model is unknown', () => {
    const record = norm({ ...llm, 'gen_ai.response.model': 'gpt-4o-custom-finetune-xyz', 'gen_ai.request.model': 'gpt-4o-mini' });
    // `gpt-4o-custom-...` shares the gpt-4o prefix, so it prices as gpt-4o.
    expect(record.cost?.usd).toBeCloseTo((1000 * 2.5 + 100 * 10) / 1e6, 12);
    const unknownResponse = norm({ ...llm, 'gen_ai.response.model': 'mystery-1', 'gen_ai.request.model': 'gpt-4o-mini' });
    expect(unknownResponse.cost?.usd).toBeCloseTo((1000 * 0.15 + 100 * 0.6) / 1e6, 12);
  });

  it('bills cached input at the cache price without billing it twice', () => {
    const record = norm({ ...llm, 'gen_ai.usage.cache_read.input_tokens': 800 });
    expect(record.cost?.usd).toBeCloseTo((200 * 2.5 + 800 * 1.25 + 100 * 10) / 1e6, 12);
  });

  it('unknown model: no cost, and the model call is unpriced', () => {
    const record = norm({ ...llm, 'gen_ai.request.model': 'acme-llm-9000' });
    expect(record.cost).toBeNull();
    expect(record.unpriced).toBe(true);
  });

  it('only model calls with tokens count as unpriced', () => {
    expect(norm({ ...llm, 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.request.model': 'acme' }).unpriced).toBe(false);
    expect(norm({ 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'acme' }).unpriced).toBe(false);
    expect(norm({ 'gen_ai.operation.name': 'chat', 'gen_ai.usage.output_tokens': 5 }).unpriced).toBe(true);
  });

  it('uses the price table given to the normalizer', () => {
    const prices = createPriceTable({ 'acme-llm': { inputPerMTok: 1, outputPerMTok: 2 } }, { includeDefaults: false });
    const normalize = createNormalizer({ prices });
    const acme = normalize(rawSpan({ ...llm, 'gen_ai.request.model': 'acme-llm-2025' }));
    expect(acme.cost).toEqual({ usd: (1000 * 1 + 100 * 2) / 1e6, source: 'computed' });
    expect(normalize(rawSpan(llm)).unpriced).toBe(true);
  });
});

describe('deprecated and alternative names', () => {
  it('reads gen_ai.system and the deprecated token names', () => {
    const record = norm({
      'gen_ai.operation.name': 'chat',
      'gen_ai.system': 'anthropic',
      'gen_ai.usage.prompt_tokens': 10,
      'gen_ai.usage.completion_tokens': 20,
    });
    expect(record.provider).toBe('anthropic');
    expect(record.usage).toEqual({ input: 10, output: 20 });
  });

  it('prefers gen_ai.provider.name over gen_ai.system, and current token names over deprecated ones', () => {
    const record = norm({
      'gen_ai.provider.name': 'gcp.vertex_ai',
      'gen_ai.system': 'vertex_ai',
      'gen_ai.usage.input_tokens': 1,
      'gen_ai.usage.prompt_tokens': 2,
    });
    expect(record.provider).toBe('gcp.vertex_ai');
    expect(record.usage.input).toBe(1);
  });

  it('reads Traceloop usage names and supplied gen_ai.usage.cost', () => {
    const record = norm({
      'llm.request.type': 'chat',
      'gen_ai.usage.input_tokens': 100,
      'gen_ai.usage.output_tokens': 50,
      'gen_ai.usage.reasoning_tokens': 20,
      'gen_ai.usage.cache_read_input_tokens': 40,
      'gen_ai.usage.cache_creation_input_tokens': 10,
      'gen_ai.usage.total_tokens': 150,
      'gen_ai.usage.cost': 0.01,
    });
    expect(record.usage).toEqual({ input: 100, output: 50, reasoning: 20, cacheRead: 40, cacheWrite: 10, total: 150 });
    expect(record.cost).toEqual({ usd: 0.01, source: 'supplied' });
  });

  it('reads OpenInference reasoning tokens', () => {
    expect(norm({ 'llm.token_count.completion': 9, 'llm.token_count.completion_details.reasoning': 4 }).usage).toEqual({ output: 9, reasoning: 4 });
  });
});

describe('isError', () => {
  it('is status ERROR, an error.type attribute or an exception event', () => {
    expect(norm({}).isError).toBe(false);
    expect(norm({}, { statusCode: 1 }).isError).toBe(false);
    expect(norm({}, { statusCode: 2 }).isError).toBe(true);
    expect(norm({ 'error.type': '500' }).isError).toBe(true);
    expect(norm({ 'error.type': '' }).isError).toBe(false);
    const event = { name: 'exception', timeUnixNano: 1n, attributes: {}, droppedAttributesCount: 0 };
    expect(norm({}, { events: [event] }).isError).toBe(true);
    expect(norm({}, { events: [{ ...event, name: 'log' }] }).isError).toBe(false);
  });
});

describe('content', () => {
  it('renders structured and JSON messages, tool calls as name(args) and reasoning apart', () => {
    const record = norm({
      'gen_ai.system_instructions': [{ type: 'text', content: 'Be brief.' }],
      'gen_ai.input.messages': '[{"role":"user","parts":[{"type":"text","content":"Hi"}]}]',
      'gen_ai.output.messages': [
        {
          role: 'assistant',
          parts: [
            { type: 'reasoning', content: 'User greets.' },
            { type: 'text', content: 'Hello!' },
            { type: 'tool_call', name: 'wave', arguments: '{"hand":"left"}' },
          ],
        },
      ],
    });
    expect(record.input?.text).toBe('system: Be brief.\nuser: Hi');
    expect(record.output?.text).toBe('assistant: Hello!\nwave({"hand":"left"})');
    expect(record.reasoning?.text).toBe('User greets.');
  });

  it('keeps text that is not valid JSON as it is', () => {
    expect(norm({ 'gen_ai.input.messages': '[not json' }).input?.text).toBe('[not json');
  });

  it('reads Vercel AI SDK reasoning', () => {
    expect(norm({ 'ai.response.reasoning': 'Because.' }).reasoning?.text).toBe('Because.');
  });
});
