/**
 * Claude Code with its beta traces and a subagent (test/fixtures/agents/claude-code/subagent): the
 * subagent's model and tool calls nest under the Agent tool's execution span and carry `agent_id`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isGenAiRecord } from '../../../src/model/genai-filter.js';
import { normalizeSpan } from '../../../src/model/normalize.js';
import { decodeTraceRequest } from '../../../src/otlp/index.js';
import { CLAUDE_CODE_FIXTURES } from './claude-code-fixture.js';

const spans = decodeTraceRequest(readFileSync(join(CLAUDE_CODE_FIXTURES, 'subagent', 'traces-1.pb')), 'protobuf').spans;
const records = spans.map((span) => normalizeSpan(span));

describe('Claude Code beta traces with a subagent', () => {
  it('every llm_request is a model call and every claude_code.tool a tool call, all of the claude-code agent', () => {
    expect(records.filter((r) => r.stepType === 'llm')).toHaveLength(spans.filter((s) => s.name === 'claude_code.llm_request').length);
    expect(records.filter((r) => r.stepType === 'tool')).toHaveLength(spans.filter((s) => s.name === 'claude_code.tool').length);
    expect(records.filter((r) => r.stepType === 'turn')).toHaveLength(1);
    expect(records.every((r) => r.agentName === 'claude-code')).toBe(true);
  });

  it("the subagent's steps nest under the Agent tool and carry its agent id", () => {
    const byId = new Map(records.map((r) => [r.spanId, r]));
    const underAgentTool = (r: (typeof records)[number]): boolean => {
      for (let parent = r.parentSpanId; parent !== null; parent = byId.get(parent)?.parentSpanId ?? null) {
        if (byId.get(parent)?.toolName === 'Agent') return true;
      }
      return false;
    };
    const subagent = records.filter((r) => (r.stepType === 'llm' || r.stepType === 'tool') && underAgentTool(r));
    expect(subagent.length).toBeGreaterThan(0);
    const withAgentId = records.filter((r) => r.raw.attributes.agent_id !== undefined);
    for (const r of withAgentId) expect(r.agentId).toBe(r.raw.attributes.agent_id);
    expect(subagent.filter((r) => r.stepType === 'llm').every((r) => underAgentTool(r))).toBe(true);
  });

  it("a tool span's input is its command or file", () => {
    const tools = records.filter((r) => r.stepType === 'tool' && r.toolName !== 'Agent');
    expect(tools.length).toBeGreaterThan(0);
    for (const tool of tools) {
      const said = tool.raw.attributes.full_command ?? tool.raw.attributes.file_path;
      expect(said).toBeDefined();
      expect(tool.input?.text).toBe(said);
    }
  });

  it('--store genai keeps every one of its spans, the tool children the subagent nests under included', () => {
    expect(records.filter((r) => !isGenAiRecord(r)).map((r) => r.name)).toEqual([]);
  });
});
