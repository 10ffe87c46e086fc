import { describe, expect, it } from 'vitest';
import { stepsFromEvents } from '../../../src/model/agents/index.js';
import type { RawLogRecord } from '../../../src/model/log-types.js';
import { normalizeSpan } from '../../../src/model/normalize.js';
import type { Attributes, SpanResource } from '../../../src/model/types.js';
import { rawSpan } from '../raw-span.js';

const codexResource: SpanResource = { attributes: { 'service.name': 'codex_exec' }, droppedAttributesCount: 0, schemaUrl: '' };
const codexScope = { name: 'codex_otel.log_only', version: '', attributes: {}, droppedAttributesCount: 0, schemaUrl: '' };

function codexEvent(attributes: Attributes, traced = false): RawLogRecord {
  return {
    timeUnixNano: 1_763_700_000_000_000_000n,
    observedTimeUnixNano: 0n,
    severityNumber: 9,
    severityText: 'INFO',
    body: null,
    attributes: { 'conversation.id': 'conv-1', model: 'gpt-5.1-codex', ...attributes },
    droppedAttributesCount: 0,
    flags: 0,
    traceId: traced ? '0af7651916cd43dd8448eb211c80319c' : null,
    spanId: traced ? 'b7ad6b7169203331' : null,
    eventName: 'event otel/src/events/session_telemetry.rs:1187',
    resource: codexResource,
    scope: codexScope,
  };
}

describe('Codex CLI table', () => {
  it('makes a model call only of the sse event that carries the token counts', () => {
    const completed = { 'event.name': 'codex.sse_event', 'event.kind': 'response.completed' };
    expect(stepsFromEvents([codexEvent(completed), codexEvent({ ...completed, 'event.kind': 'response.created' })])).toEqual([]);
    const [step] = stepsFromEvents([codexEvent({ ...completed, input_token_count: '100', output_token_count: '7', cached_token_count: 40 })]);
    const call = normalizeSpan(step);
    expect(call).toMatchObject({ stepType: 'llm', sessionId: 'conv-1', requestModel: 'gpt-5.1-codex', agentName: 'codex' });
    expect(call.usage).toEqual({ input: 100, output: 7, cacheRead: 40 });
    expect(call.internal).toBeUndefined();
  });

  it('makes steps of its events even when they are tied to a span: its spans are never steps', () => {
    const steps = stepsFromEvents([
      codexEvent({ 'event.name': 'codex.user_prompt', prompt: 'list the files here' }, true),
      codexEvent({ 'event.name': 'codex.tool_result', tool_name: 'exec_command', call_id: 'call_1', success: 'false', output: 'boom' }, true),
      codexEvent({ 'event.name': 'codex.tool_decision', tool_name: 'exec_command', call_id: 'call_1' }, true),
    ]).map((span) => normalizeSpan(span));
    expect(steps.map((s) => s.stepType)).toEqual(['turn', 'tool']);
    expect(steps[0].input?.text).toBe('list the files here');
    expect(steps[1]).toMatchObject({ toolName: 'exec_command', toolCallId: 'call_1', isError: true, statusMessage: 'boom' });
  });

  it('keeps its spans as internal plumbing, usage and all, and reads conversation.id as their session', () => {
    const span = normalizeSpan(
      rawSpan(
        { 'conversation.id': 'conv-1', 'gen_ai.usage.input_tokens': 2009, 'gen_ai.usage.cache_write.input_tokens': 3, 'codex.usage.reasoning_output_tokens': 12 },
        { name: 'handle_responses', resource: codexResource, scope: { ...codexScope, name: 'codex_exec' } },
      ),
    );
    expect(span).toMatchObject({ stepType: 'other', internal: true, sessionId: 'conv-1', agentName: 'codex' });
    expect(span.usage).toEqual({ input: 2009, cacheWrite: 3, reasoning: 12 });
    // Skein's own marker still decides.
    const marked = normalizeSpan(rawSpan({ 'skein.step.type': 'tool' }, { name: 'exec_command', resource: codexResource }));
    expect(marked.stepType).toBe('tool');
    expect(marked.internal).toBeUndefined();
  });

  it('leaves other apps alone: a codex.* span name or a conversation.id does not make a span Codex’s', () => {
    const span = normalizeSpan(rawSpan({ 'conversation.id': 'c', 'gen_ai.operation.name': 'chat' }, { name: 'codex.exec' }));
    expect(span).toMatchObject({ stepType: 'llm', agentName: null, sessionId: 'c' });
    expect(span.internal).toBeUndefined();
    // The GenAI convention's key outranks it.
    expect(normalizeSpan(rawSpan({ 'conversation.id': 'c', 'gen_ai.conversation.id': 'g' })).sessionId).toBe('g');
  });
});
