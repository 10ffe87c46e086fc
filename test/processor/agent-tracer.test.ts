import { describe, expect, it } from 'vitest';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { AgentTracer } from '../../src/processor/agent-tracer.js';

function setup() {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const agent = new AgentTracer({ tracerProvider: provider, name: 'agent-test' });
  const byName = (name: string): ReadableSpan => {
    const found = exporter.getFinishedSpans().find((s) => s.name === name);
    if (found === undefined) throw new Error(`no span named ${name}: ${exporter.getFinishedSpans().map((s) => s.name).join(', ')}`);
    return found;
  };
  return { exporter, agent, byName };
}

const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;
const idOf = (span: ReadableSpan) => span.spanContext().spanId;

describe('AgentTracer', () => {
  it('emits GenAI span names, kinds and attributes, nested under the session with its id', async () => {
    const { agent, byName, exporter } = setup();
    let generated = '';
    await agent.session({ agentName: 'support-bot', userId: 'user-9' }, async (session) => {
      generated = session.sessionId;
      expect(agent.currentSessionId()).toBe(session.sessionId);
      await agent.modelCall({ provider: 'openai', model: 'gpt-4o', operation: 'chat' }, async (call) => {
        await new Promise((resolve) => setTimeout(resolve, 1));
        call.recordInput('where is my order?');
        call.recordUsage({ inputTokens: 50, outputTokens: 20, reasoningTokens: 5, cacheReadTokens: 30, cacheWriteTokens: 2 });
        call.recordCost(0.0042);
        call.setResponseModel('gpt-4o-2024-08-06');
        call.recordOutput([{ role: 'assistant', parts: [{ type: 'text', content: 'let me check' }], finish_reason: 'stop' }]);
      });
      const result = await agent.toolCall({ name: 'get_order', callId: 'tc-1', arguments: { id: 42 } }, async () => ({ status: 'shipped' }));
      expect(result).toEqual({ status: 'shipped' });
      agent.reasoning({ name: 'plan reply' }, (step) => step.recordText('the order shipped yesterday'));
    });

    expect(generated).toMatch(/^[0-9a-f-]{36}$/);
    expect(exporter.getFinishedSpans()).toHaveLength(4);
    const session = byName('invoke_agent support-bot');
    const model = byName('chat gpt-4o');
    const tool = byName('execute_tool get_order');
    const reasoning = byName('plan reply');

    expect(session.attributes).toMatchObject({
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.agent.name': 'support-bot',
      'gen_ai.conversation.id': generated,
      'user.id': 'user-9',
    });
    expect(parentOf(session)).toBeUndefined();
    for (const child of [model, tool, reasoning]) {
      expect(parentOf(child)).toBe(idOf(session));
      expect(child.spanContext().traceId).toBe(session.spanContext().traceId);
      expect(child.attributes['gen_ai.conversation.id']).toBe(generated);
    }

    expect(model.kind).toBe(SpanKind.CLIENT);
    expect(model.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o',
      'gen_ai.response.model': 'gpt-4o-2024-08-06',
      'gen_ai.usage.input_tokens': 50,
      'gen_ai.usage.output_tokens': 20,
      'gen_ai.usage.reasoning.output_tokens': 5,
      'gen_ai.usage.cache_read.input_tokens': 30,
      'gen_ai.usage.cache_creation.input_tokens': 2,
      'gen_ai.usage.cost': 0.0042,
    });
    expect(JSON.parse(model.attributes['gen_ai.input.messages'] as string)).toEqual([
      { role: 'user', parts: [{ type: 'text', content: 'where is my order?' }] },
    ]);
    expect(JSON.parse(model.attributes['gen_ai.output.messages'] as string)).toEqual([
      { role: 'assistant', parts: [{ type: 'text', content: 'let me check' }], finish_reason: 'stop' },
    ]);

    expect(tool.attributes).toMatchObject({
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 'get_order',
      'gen_ai.tool.call.id': 'tc-1',
      'gen_ai.tool.call.arguments': '{"id":42}',
      'gen_ai.tool.call.result': '{"status":"shipped"}',
    });
    expect(reasoning.attributes).toMatchObject({
      'skein.step.type': 'reasoning',
      'skein.reasoning.content': 'the order shipped yesterday',
    });
    // Every span ends after its children.
    expect(session.endTime[0] * 1e9 + session.endTime[1]).toBeGreaterThanOrEqual(model.endTime[0] * 1e9 + model.endTime[1]);
  });

  it('nests steps inside steps and keeps concurrent sessions apart', async () => {
    const { agent, byName } = setup();
    await Promise.all(
      ['a', 'b'].map((id) =>
        agent.session({ sessionId: `s-${id}` }, async () => {
          await agent.toolCall({ name: `outer-${id}` }, async () => {
            await new Promise((resolve) => setTimeout(resolve, 2));
            agent.modelCall({ provider: 'p', model: `inner-${id}` }, () => undefined);
          });
        }),
      ),
    );
    for (const id of ['a', 'b']) {
      const outer = byName(`execute_tool outer-${id}`);
      const inner = byName(`chat inner-${id}`);
      expect(parentOf(inner)).toBe(idOf(outer));
      expect(inner.attributes['gen_ai.conversation.id']).toBe(`s-${id}`);
      expect(outer.attributes['gen_ai.conversation.id']).toBe(`s-${id}`);
    }
  });

  it('records a throw as an exception with status ERROR, ends the span and re-throws', async () => {
    const { agent, byName } = setup();
    const failure = new TypeError('tool exploded');
    expect(() =>
      agent.session({ sessionId: 's-err' }, () =>
        agent.toolCall({ name: 'explode' }, () => {
          throw failure;
        }),
      ),
    ).toThrow(failure);
    await expect(agent.modelCall({ provider: 'p', model: 'm' }, async () => Promise.reject(new Error('rate limited')))).rejects.toThrow(
      'rate limited',
    );

    const tool = byName('execute_tool explode');
    expect(tool.ended).toBe(true);
    expect(tool.status).toEqual({ code: SpanStatusCode.ERROR, message: 'tool exploded' });
    expect(tool.attributes['error.type']).toBe('TypeError');
    expect(tool.events.map((e) => e.name)).toEqual(['exception']);
    expect(tool.attributes['gen_ai.tool.call.result']).toBeUndefined();
    expect(byName('invoke_agent').status.code).toBe(SpanStatusCode.ERROR);
    expect(byName('chat m').status).toEqual({ code: SpanStatusCode.ERROR, message: 'rate limited' });
  });

  it('adds model selected and switched events to the current step, and nothing outside one', () => {
    const { agent, byName, exporter } = setup();
    agent.modelSelected('ignored');
    agent.session({ sessionId: 's-route' }, () => {
      agent.modelSelected('gpt-4o-mini', 'cheap first');
      agent.modelCall({ provider: 'openai', model: 'gpt-4o-mini' }, () => {
        agent.modelSwitched('gpt-4o-mini', 'gpt-4o', 'context too long');
      });
    });
    expect(exporter.getFinishedSpans()).toHaveLength(2);
    const session = byName('invoke_agent');
    expect(session.events.map((e) => [e.name, e.attributes])).toEqual([
      ['skein.model.selected', { 'gen_ai.request.model': 'gpt-4o-mini', 'skein.model.reason': 'cheap first' }],
    ]);
    expect(byName('chat gpt-4o-mini').events.map((e) => [e.name, e.attributes])).toEqual([
      ['skein.model.switched', { 'skein.model.from': 'gpt-4o-mini', 'skein.model.to': 'gpt-4o', 'skein.model.reason': 'context too long' }],
    ]);
  });

  it('records results that are not JSON without failing the call', () => {
    const { agent, byName } = setup();
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(agent.toolCall({ name: 'weird', arguments: 10n }, () => circular)).toBe(circular);
    const tool = byName('execute_tool weird');
    expect(tool.attributes['gen_ai.tool.call.arguments']).toBe('10');
    expect(tool.attributes['gen_ai.tool.call.result']).toBe('[object Object]');
  });
});
