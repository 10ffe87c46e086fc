/**
 * The OTel GenAI events of one model call as its conversation (issue 17): the messages sent and the
 * choices, rendered exactly as the same messages are when a span carries them in `gen_ai.input.messages`
 * / `gen_ai.output.messages`; the history re-sent with every call shown once.
 */
import { describe, expect, it } from 'vitest';
import {
  conversationContent,
  conversationFromEvents,
  distinctEvents,
  isGenAiEvent,
} from '../../src/model/genai-events.js';
import type { RawLogRecord } from '../../src/model/log-types.js';
import { normalizeSpan } from '../../src/model/normalize.js';
import type { AttributeValue, Attributes, NormalizeCounts } from '../../src/model/types.js';
import { rawSpan } from './raw-span.js';

const TRACE = '0af7651916cd43dd8448eb211c80319c';
const SPAN = 'b7ad6b7169203331';
let clock = 1_763_700_000_000_000_000n;

function event(name: string, body: AttributeValue, attributes: Attributes = {}, how: 'attribute' | 'field' = 'attribute'): RawLogRecord {
  clock += 1_000_000n;
  return {
    timeUnixNano: clock,
    observedTimeUnixNano: 0n,
    severityNumber: 9,
    severityText: '',
    body,
    attributes: how === 'attribute' ? { 'event.name': name, 'gen_ai.system': 'openai', ...attributes } : attributes,
    droppedAttributesCount: 0,
    flags: 0,
    traceId: TRACE,
    spanId: SPAN,
    eventName: how === 'field' ? name : '',
    resource: { attributes: {}, droppedAttributesCount: 0, schemaUrl: '' },
    scope: { name: '@opentelemetry/instrumentation-openai', version: '0.21.0', attributes: {}, droppedAttributesCount: 0, schemaUrl: '' },
  };
}

const counts = (): NormalizeCounts => ({ coerced: 0, dropped: 0, truncated: 0, redacted: 0 });
const TOOL_CALL = { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } };

/** The first call of the captured instrumentation-openai run, as its events (bodies as it sends them). */
function firstCall(): RawLogRecord[] {
  return [
    event('gen_ai.system.message', { content: 'You are a weather bot.' }),
    event('gen_ai.user.message', { content: 'What is the weather in Paris?' }),
    event('gen_ai.choice', { finish_reason: 'tool_calls', index: 0, message: { tool_calls: [TOOL_CALL] } }),
  ];
}

/** The second call: the history re-sent, the tool's result, a text answer. */
function secondCall(): RawLogRecord[] {
  return [
    event('gen_ai.system.message', { content: 'You are a weather bot.' }),
    event('gen_ai.user.message', { content: 'What is the weather in Paris?' }),
    event('gen_ai.assistant.message', { tool_calls: [TOOL_CALL] }),
    event('gen_ai.tool.message', { id: 'call_1', content: '{"forecast":"sunny"}' }),
    event('gen_ai.choice', { finish_reason: 'stop', index: 0, message: { content: 'Sunny in Paris.' } }),
  ];
}

describe('GenAI events as a call conversation', () => {
  it('recognises the GenAI events by their resolved name, and nothing else', () => {
    expect(firstCall().every(isGenAiEvent)).toBe(true);
    expect(isGenAiEvent(event('gen_ai.client.inference.operation.details', null))).toBe(true);
    expect(isGenAiEvent(event('gen_ai.user.message', { content: 'x' }, {}, 'field'))).toBe(true);
    expect(isGenAiEvent(event('claude_code.api_request', null))).toBe(false);
    expect(isGenAiEvent(event('gen_ai.client.token.usage', null))).toBe(false);
  });

  it('renders the messages and choices as a span carrying the same messages as attributes would', () => {
    const conversation = conversationFromEvents(firstCall());
    const content = conversationContent(conversation!, null, 4096, counts());
    const span = normalizeSpan(
      rawSpan({
        'gen_ai.operation.name': 'chat',
        'gen_ai.input.messages': JSON.stringify([
          { role: 'system', content: 'You are a weather bot.' },
          { role: 'user', parts: [{ type: 'text', content: 'What is the weather in Paris?' }] },
        ]),
        'gen_ai.output.messages': JSON.stringify([
          { role: 'assistant', parts: [{ type: 'tool_call', id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' }] },
        ]),
      }),
    );
    expect(content.input?.text).toBe(span.input?.text);
    expect(content.output?.text).toBe(span.output?.text);
    expect(content.input?.text).toBe('system: You are a weather bot.\nuser: What is the weather in Paris?');
    expect(content.output?.text).toBe('assistant: get_weather({"city":"Paris"})');
  });

  it('reads the name from LogRecord.event_name and a plain string body as the content', () => {
    const conversation = conversationFromEvents([
      event('gen_ai.user.message', 'hello there', {}, 'field'),
      event('gen_ai.choice', { index: 0, message: { role: 'assistant', content: 'hi' } }, {}, 'field'),
    ]);
    const content = conversationContent(conversation!, null, 4096, counts());
    expect([content.input?.text, content.output?.text]).toEqual(['user: hello there', 'assistant: hi']);
  });

  it('keeps choices in index order; no GenAI events make no conversation', () => {
    const conversation = conversationFromEvents([
      event('gen_ai.user.message', { content: 'two answers' }),
      event('gen_ai.choice', { index: 1, message: { content: 'second' } }),
      event('gen_ai.choice', { index: 0, message: { content: 'first' } }),
    ]);
    expect(conversationContent(conversation!, null, 4096, counts()).output?.text).toBe('assistant: first\nassistant: second');
    expect(conversationFromEvents([event('claude_code.user_prompt', 'x')])).toBeNull();
  });

  it('shows a call only the messages new since the previous call: the re-sent history is counted, not repeated', () => {
    const previous = conversationFromEvents(firstCall())!;
    const current = conversationFromEvents(secondCall())!;
    const content = conversationContent(current, previous, 4096, counts());
    expect(content.input?.text).toBe('[3 earlier messages, as in the previous call]\ntool: {"forecast":"sunny"}');
    expect(content.output?.text).toBe('assistant: Sunny in Paris.');
    // The same conversation sent again (a retry, a streamed copy): nothing new.
    const again = conversationContent(conversationFromEvents(secondCall())!, current, 4096, counts());
    expect(again.input?.text).toBe('[4 earlier messages, as in the previous call]');
  });

  it('leaves out only a leading run that matches: another conversation, or an edited history, is shown whole', () => {
    const previous = conversationFromEvents(firstCall())!;
    const other = conversationFromEvents([
      event('gen_ai.system.message', { content: 'You are a poet.' }),
      event('gen_ai.user.message', { content: 'What is the weather in Paris?' }),
    ])!;
    expect(conversationContent(other, previous, 4096, counts()).input?.text).toBe(
      'system: You are a poet.\nuser: What is the weather in Paris?',
    );
    const edited = conversationFromEvents([
      event('gen_ai.system.message', { content: 'You are a weather bot.' }),
      event('gen_ai.user.message', { content: 'And in Rome?' }),
    ])!;
    expect(conversationContent(edited, previous, 4096, counts()).input?.text).toBe('[1 earlier message, as in the previous call]\nuser: And in Rome?');
  });

  it('reads gen_ai.client.inference.operation.details: system instructions, input and output messages, once per call', () => {
    const input = JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: 'list the files' }] }]);
    const system = JSON.stringify([{ type: 'text', content: 'You are terse.' }]);
    const output = JSON.stringify([
      { role: 'assistant', parts: [{ type: 'reasoning', content: 'ls it' }, { type: 'text', content: 'hello.txt' }], finish_reason: 'stop' },
    ]);
    // Gemini CLI sends a request-details event and then the full one: the input is not doubled.
    const conversation = conversationFromEvents([
      event('gen_ai.client.inference.operation.details', 'request details', { 'gen_ai.system_instructions': system, 'gen_ai.input.messages': input }),
      event('gen_ai.client.inference.operation.details', 'details', {
        'gen_ai.system_instructions': system,
        'gen_ai.input.messages': input,
        'gen_ai.output.messages': output,
      }),
    ])!;
    const content = conversationContent(conversation, null, 4096, counts());
    const span = normalizeSpan(
      rawSpan({ 'gen_ai.operation.name': 'chat', 'gen_ai.system_instructions': system, 'gen_ai.input.messages': input, 'gen_ai.output.messages': output }),
    );
    expect(content.input?.text).toBe('system: You are terse.\nuser: list the files');
    expect([content.input?.text, content.output?.text, content.reasoning?.text]).toEqual([span.input?.text, span.output?.text, span.reasoning?.text]);
  });

  it('cuts long text to the limit, keeping its length, and counts it', () => {
    const c = counts();
    const conversation = conversationFromEvents([event('gen_ai.user.message', { content: 'x'.repeat(50) })])!;
    const content = conversationContent(conversation, null, 10, c);
    expect(content.input).toEqual({ text: 'user: xxxx', originalLength: 56, truncated: true });
    expect(c.truncated).toBe(1);
  });

  it('drops the same event delivered twice (a resent request), keeping repeated messages that are distinct events', () => {
    const events = firstCall();
    const again = distinctEvents([...events, ...events.map((e) => ({ ...e }))]);
    expect(again).toHaveLength(events.length);
    const twice = [event('gen_ai.user.message', { content: 'yes' }), event('gen_ai.user.message', { content: 'yes' })];
    expect(distinctEvents(twice)).toHaveLength(2);
  });
});
