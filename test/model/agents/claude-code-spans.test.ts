import { describe, expect, it } from 'vitest';
import { createAgentRegistry, agentForSpan } from '../../../src/model/agents/index.js';
import type { AgentTable } from '../../../src/model/agents/index.js';
import { normalizeSpan } from '../../../src/model/normalize.js';
import type { Attributes, RawSpan } from '../../../src/model/types.js';
import { rawSpan } from '../raw-span.js';

const claudeResource = { attributes: { 'service.name': 'claude-code', 'service.version': '2.0.0' }, droppedAttributesCount: 0, schemaUrl: '' };

function claudeSpan(name: string, attributes: Attributes, overrides: Partial<RawSpan> = {}): RawSpan {
  return rawSpan({ 'session.id': 'cc-session', ...attributes }, { name, resource: claudeResource, ...overrides });
}

describe('Claude Code beta spans through its table', () => {
  it('a claude_code.llm_request is a model call with its model, every token kind and its supplied cost', () => {
    const record = normalizeSpan(
      claudeSpan('claude_code.llm_request', {
        model: 'claude-sonnet-4-5-20250929',
        input_tokens: 12,
        output_tokens: 340,
        cache_read_tokens: 1000,
        cache_creation_tokens: 200,
        cost_usd: 0.0123,
      }),
    );
    expect(record.stepType).toBe('llm');
    expect(record.agentName).toBe('claude-code');
    expect(record.sessionId).toBe('cc-session');
    expect(record.requestModel).toBe('claude-sonnet-4-5-20250929');
    expect(record.provider).toBe('anthropic');
    // Anthropic's input_tokens leaves the cache out; Skein's input includes it.
    expect(record.usage).toEqual({ input: 1212, output: 340, cacheRead: 1000, cacheWrite: 200 });
    expect(record.cost).toEqual({ usd: 0.0123, source: 'supplied' });
  });

  it('token counts sent as text (as Claude Code does on events) are read', () => {
    const record = normalizeSpan(claudeSpan('claude_code.llm_request', { model: 'claude-haiku-4-5', input_tokens: '5', output_tokens: '7' }));
    expect(record.usage).toMatchObject({ input: 5, output: 7 });
  });

  it('turns, tools and the tool children get their step types; the tool its name and parameters', () => {
    expect(normalizeSpan(claudeSpan('claude_code.interaction', { user_prompt: 'fix the bug' })).stepType).toBe('turn');
    const tool = normalizeSpan(
      claudeSpan('claude_code.tool', { tool_name: 'Bash', tool_use_id: 'toolu_1', tool_parameters: '{"command":"ls"}' }),
    );
    expect(tool.stepType).toBe('tool');
    expect(tool.toolName).toBe('Bash');
    expect(tool.toolCallId).toBe('toolu_1');
    expect(tool.input?.text).toBe('{"command":"ls"}');
    expect(normalizeSpan(claudeSpan('claude_code.tool.execution', {})).stepType).toBe('other');
    expect(normalizeSpan(claudeSpan('claude_code.tool.blocked_on_user', {})).stepType).toBe('other');
    const turn = normalizeSpan(claudeSpan('claude_code.interaction', { user_prompt: 'fix the bug' }));
    expect(turn.input?.text).toBe('fix the bug');
  });

  it('is recognised by scope or span name prefix when the resource says nothing', () => {
    const byScope = claudeSpan('claude_code.llm_request', { model: 'm', input_tokens: 1 }, {
      resource: { attributes: {}, droppedAttributesCount: 0, schemaUrl: '' },
      scope: { name: 'com.anthropic.claude_code.tracing', version: '1', attributes: {}, droppedAttributesCount: 0, schemaUrl: '' },
    });
    expect(agentForSpan(byScope)?.name).toBe('claude-code');
    const byName = claudeSpan('claude_code.llm_request', { model: 'm', input_tokens: 1 }, {
      resource: { attributes: { 'service.name': 'something' }, droppedAttributesCount: 0, schemaUrl: '' },
    });
    expect(normalizeSpan(byName).usage.input).toBe(1);
  });

  it('generic keys (model, input_tokens, cost_usd) mean nothing on other spans', () => {
    const record = normalizeSpan(rawSpan({ model: 'gpt-4o', input_tokens: 10, output_tokens: 5, cost_usd: 1, tool_name: 'x' }, { name: 'chat' }));
    expect(record.agentName).toBeNull();
    expect(record.requestModel).toBeNull();
    expect(record.usage).toEqual({});
    expect(record.cost).toBeNull();
    expect(record.toolName).toBeNull();
    expect(record.stepType).toBe('other');
  });

  it("a dialect's own key outranks the agent's, and is not adjusted for the cache", () => {
    const record = normalizeSpan(
      claudeSpan('claude_code.llm_request', { input_tokens: 1, 'gen_ai.usage.input_tokens': 50, cache_read_tokens: 40, 'gen_ai.request.model': 'a', model: 'b' }),
    );
    expect(record.usage.input).toBe(50);
    expect(record.requestModel).toBe('a');
  });

  it('skein.step.type still overrides the table', () => {
    expect(normalizeSpan(claudeSpan('claude_code.llm_request', { 'skein.step.type': 'other' })).stepType).toBe('other');
  });

  it('a registry of other tables recognises their agents instead', () => {
    const table: AgentTable = {
      name: 'toy', serviceNames: ['toy-cli'], scopePrefixes: [], namePrefixes: ['toy.'],
      spanSteps: { 'toy.call': 'llm' }, attributes: { tokens_in: 'inputGenAi' }, tokenConvention: 'openai', events: {},
    };
    const registry = createAgentRegistry([table]);
    expect(registry.forSpan(rawSpan({}, { name: 'toy.call' }))?.name).toBe('toy');
    expect(registry.forSpan(claudeSpan('claude_code.llm_request', {}))).toBeUndefined();
    expect(() => createAgentRegistry([{ ...table, attributes: { x: 'noSuchField' as never } }])).toThrow(/noSuchField/);
  });
});
