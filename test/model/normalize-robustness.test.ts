import { describe, expect, it } from 'vitest';
import { createNormalizer, normalizeSpan } from '../../src/model/normalize.js';
import type { Attributes, AttributeValue, RawSpan } from '../../src/model/types.js';
import { rawSpan } from './raw-span.js';

const norm = (attributes: Attributes, overrides = {}) => normalizeSpan(rawSpan(attributes, overrides));

describe('values of the wrong type', () => {
  it.each<[string, AttributeValue, number | undefined, 'coerced' | 'dropped' | null]>([
    ['an integer', 12, 12, null],
    ['an integer-valued double', 12.0, 12, null],
    ['an integer string', '12', 12, 'coerced'],
    ['a padded integer string', ' 12 ', 12, 'coerced'],
    ['a safe bigint', 12n, 12, 'coerced'],
    ['a negative', -5, undefined, 'dropped'],
    ['NaN', Number.NaN, undefined, 'dropped'],
    ['Infinity', Number.POSITIVE_INFINITY, undefined, 'dropped'],
    ['a fraction', 12.5, undefined, 'dropped'],
    ['a fraction string', '12.5', undefined, 'dropped'],
    ['a hex string', '0x10', undefined, 'dropped'],
    ['a word', 'twelve', undefined, 'dropped'],
    ['a huge numeric string', '9'.repeat(400), undefined, 'dropped'],
    ['an unsafe bigint', 2n ** 64n, undefined, 'dropped'],
    ['a negative bigint', -3n, undefined, 'dropped'],
    ['a boolean', true, undefined, 'dropped'],
    ['an array', [1, 2], undefined, 'dropped'],
    ['a map', { n: 1 }, undefined, 'dropped'],
    ['bytes', new Uint8Array([1]), undefined, 'dropped'],
  ])('tokens as %s', (_label, value, expected, counted) => {
    const record = norm({ 'gen_ai.usage.input_tokens': value });
    expect(record.usage.input).toBe(expected);
    expect(record.counts.coerced).toBe(counted === 'coerced' ? 1 : 0);
    expect(record.counts.dropped).toBe(counted === 'dropped' ? 1 : 0);
  });

  it('falls back to the next dialect when the first value is unusable', () => {
    const record = norm({ 'gen_ai.usage.input_tokens': -1, 'llm.token_count.prompt': 7 });
    expect(record.usage.input).toBe(7);
    expect(record.counts.dropped).toBe(1);
  });

  it('coerces or drops costs and names the same way', () => {
    const record = norm({
      'gen_ai.usage.cost': -0.5,
      'llm.cost.total': '0.25',
      'gen_ai.request.model': true,
      'gen_ai.agent.id': 42,
      'gen_ai.tool.name': { name: 'x' },
    });
    expect(record.cost).toEqual({ usd: 0.25, source: 'supplied' });
    expect(record.requestModel).toBeNull();
    expect(record.agentId).toBe('42');
    expect(record.toolName).toBeNull();
    expect(record.counts).toEqual({ coerced: 2, dropped: 3, truncated: 0, redacted: 0 });
  });

  it('counts junk inside Langfuse details', () => {
    const record = norm({ 'langfuse.observation.usage_details': '{"input":"10","output":-1,"total":"x"}' });
    expect(record.usage).toEqual({ input: 10 });
    expect(record.counts.coerced).toBe(1);
    expect(record.counts.dropped).toBe(2);
    expect(norm({ 'langfuse.observation.usage_details': 'not json' }).counts.dropped).toBe(1);
  });
});

describe('truncation', () => {
  it('cuts long content to the limit and keeps the original length', () => {
    const text = 'x'.repeat(5000);
    const record = norm({ 'input.value': text, 'output.value': 'short' });
    expect(record.input).toEqual({ text: 'x'.repeat(4096), originalLength: 5000, truncated: true });
    expect(record.output).toEqual({ text: 'short', originalLength: 5, truncated: false });
  });

  it('cuts the derived name and status message, keeping the span as it arrived whole', () => {
    const long = 'y'.repeat(100);
    const raw = rawSpan(
      { 'input.value': long, 'custom.list': ['ok', long], 'custom.map': { inner: long }, short: 'ok', count: 3 },
      {
        name: long,
        statusMessage: `${long}!`,
        events: [{ name: 'exception', timeUnixNano: 1n, attributes: { 'exception.stacktrace': long }, droppedAttributesCount: 0 }],
        links: [{ traceId: 'ab'.repeat(16), spanId: 'cd'.repeat(8), traceState: '', attributes: { note: long }, droppedAttributesCount: 0, flags: 0 }],
        resource: { attributes: { 'service.name': long }, droppedAttributesCount: 0, schemaUrl: '' },
      },
    );
    const before = structuredClone(raw);
    const record = createNormalizer({ maxTextLength: 10 })(raw);
    expect(record.truncatedLengths).toEqual({ name: 100, statusMessage: 101 });
    // Name, status message and the input content.
    expect(record.counts.truncated).toBe(3);
    expect(record.name).toBe('y'.repeat(10));
    expect(record.statusMessage).toBe('y'.repeat(10));
    expect(record.input).toEqual({ text: 'y'.repeat(10), originalLength: 100, truncated: true });
    // What export reads is the span as it arrived, not a copy of it.
    expect(record.raw).toBe(raw);
    expect(raw).toEqual(before);
  });

  it('never splits a surrogate pair', () => {
    const record = createNormalizer({ maxTextLength: 3 })(rawSpan({ 'input.value': 'ab😀cd' }));
    expect(record.input?.text).toBe('ab');
    expect(record.input?.originalLength).toBe(6);
  });

  it('cuts extracted names, but never the session id: a cut key would find nothing and merge with others', () => {
    const record = createNormalizer({ maxTextLength: 8 })(
      rawSpan({ 'session.id': 's'.repeat(50), 'gen_ai.request.model': 'm'.repeat(50) }),
    );
    expect(record.requestModel).toBe('m'.repeat(8));
    expect(record.sessionId).toBe('s'.repeat(50));
    expect(record.truncatedLengths).toEqual({ 'attributes.gen_ai.request.model': 50 });
    expect(record.raw.attributes['gen_ai.request.model']).toBe('m'.repeat(50));
  });

  it('rejects a limit that is not a positive integer', () => {
    expect(() => createNormalizer({ maxTextLength: 0 })).toThrow(RangeError);
    expect(() => createNormalizer({ maxTextLength: Number.NaN })).toThrow(/maxTextLength/);
  });
});

describe('garbage in', () => {
  it('never throws and counts what it could not use', () => {
    const huge = 'z'.repeat(200_000);
    let deep: AttributeValue = 'bottom';
    for (let i = 0; i < 500; i++) deep = { next: deep, list: [deep] } as AttributeValue;
    const garbage: Attributes = {
      'gen_ai.operation.name': 42,
      'openinference.span.kind': ['LLM'],
      'gen_ai.usage.input_tokens': Number.NaN,
      'gen_ai.usage.output_tokens': -7,
      'gen_ai.usage.reasoning.output_tokens': '1e400',
      'gen_ai.usage.cache_read.input_tokens': 2n ** 70n,
      'llm.token_count.total': new Uint8Array(8),
      'gen_ai.usage.cost': 'free',
      'llm.cost.total': Number.NEGATIVE_INFINITY,
      'gen_ai.conversation.id': huge,
      'gen_ai.request.model': { nested: ['junk', null, 1n] },
      'gen_ai.input.messages': '[{"role":' + huge,
      'gen_ai.output.messages': [null, 1, 'text', { role: 7, parts: 'nope' }, { parts: [null, { type: 9 }, { type: 'tool_call', arguments: deep }] }],
      'gen_ai.system_instructions': deep,
      'langfuse.observation.usage_details': { input: deep, output: [1] },
      'langfuse.observation.cost_details': '{"total": "NaN"}',
      'gen_ai.prompt.99999999.content': 'x',
      'gen_ai.prompt.abc.content': 'x',
      'gen_ai.prompt.3.content': deep,
      'input.value': null,
      'output.value': new Uint8Array(1_000_000),
      'ai.response.toolCalls': '{"not":"an array"}',
      'custom.deep': deep,
    };
    const raw = rawSpan(garbage, {
      traceId: 12 as unknown as string,
      name: undefined as unknown as string,
      statusCode: 7 as unknown as 0,
      startTimeUnixNano: 'yesterday' as unknown as bigint,
      endTimeUnixNano: 1_763_700_001_000 as unknown as bigint,
      events: [null as unknown as RawSpan['events'][number], { name: 'exception', timeUnixNano: 1n, attributes: null as unknown as Attributes, droppedAttributesCount: 0 }],
      resource: null as unknown as RawSpan['resource'],
    });
    const record = normalizeSpan(raw);
    expect(record.spanId).toBe(raw.spanId);
    expect(record.traceId).toBe('');
    expect(record.stepType).toBe('other');
    expect(record.usage).toEqual({});
    expect(record.cost).toBeNull();
    expect(record.requestModel).toBeNull();
    expect(record.sessionId?.length).toBe(200_000);
    expect(record.isError).toBe(true);
    expect(record.statusCode).toBe(0);
    expect(record.startTimeUnixNano).toBe(0n);
    expect(record.endTimeUnixNano).toBe(1_763_700_001_000n);
    expect(record.input?.truncated).toBe(true);
    expect(record.input?.originalLength).toBeGreaterThan(200_000);
    expect(record.counts.dropped).toBeGreaterThanOrEqual(12);
    expect(record.counts.coerced).toBeGreaterThanOrEqual(2);
    expect(record.counts.truncated).toBeGreaterThanOrEqual(2);
    expect(record.truncatedLengths?.['attributes.gen_ai.conversation.id']).toBeUndefined();
    expect(record.raw.attributes['gen_ai.conversation.id']).toHaveLength(200_000);
  });

  it('survives values no decoder produces: throwing getters and non-objects', () => {
    const hostile = rawSpan({});
    Object.defineProperty(hostile, 'attributes', {
      get() {
        throw new Error('boom');
      },
    });
    const record = normalizeSpan(hostile);
    expect(record.spanId).toBe(hostile.spanId);
    expect(record.stepType).toBe('other');
    expect(record.counts.dropped).toBe(1);

    const notObjects = normalizeSpan(rawSpan(null as unknown as Attributes, { events: 'x' as unknown as [], links: 5 as unknown as [] }));
    expect(notObjects.stepType).toBe('other');
    expect(notObjects.usage).toEqual({});
  });
});
