/**
 * Claude Code's captured log events (test/fixtures/agents/claude-code, see its README), decoded with
 * Skein's own decoders, and what a test should expect of them, computed from the records themselves.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RawLogRecord } from '../../../src/model/log-types.js';
import { decodeLogsRequest } from '../../../src/otlp/index.js';

export const CLAUDE_CODE_FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '../../fixtures/agents/claude-code');

/** The log requests of a scenario, in file order (`logs-1.pb`, `logs-2.pb`… or `.json`), each decoded. */
export function claudeCodeLogRequests(scenario: string): { file: string; body: Buffer; format: 'protobuf' | 'json'; records: RawLogRecord[] }[] {
  const dir = join(CLAUDE_CODE_FIXTURES, scenario);
  return readdirSync(dir)
    .filter((file) => /^logs-\d+\.(pb|json)$/.test(file))
    .sort((a, b) => Number(/\d+/.exec(a)?.[0]) - Number(/\d+/.exec(b)?.[0]))
    .map((file) => {
      const body = readFileSync(join(dir, file));
      const format = file.endsWith('.pb') ? ('protobuf' as const) : ('json' as const);
      return { file, body, format, records: decodeLogsRequest(body, format).records };
    });
}

export function claudeCodeLogs(scenario: string): RawLogRecord[] {
  return claudeCodeLogRequests(scenario).flatMap((request) => request.records);
}

export interface ExpectedSession {
  sessionId: string;
  turns: number;
  llmCalls: number;
  toolCalls: number;
  failedTools: number;
  /** Skein's convention: input includes cache reads and writes. */
  tokens: { input: number; output: number; cacheRead: number; cacheWrite: number };
  suppliedCostUsd: number;
  prompts: string[];
  responses: string[];
  models: string[];
}

const nameOf = (record: RawLogRecord): unknown => record.attributes['event.name'];
const count = (value: unknown): number => Number(value ?? 0);

/** What the events say, read with nothing but their documented attribute names. */
export function expectedFromEvents(records: readonly RawLogRecord[]): ExpectedSession {
  const requests = records.filter((r) => nameOf(r) === 'api_request');
  const tools = records.filter((r) => nameOf(r) === 'tool_result');
  const prompts = records.filter((r) => nameOf(r) === 'user_prompt');
  const sum = (key: string) => requests.reduce((total, r) => total + count(r.attributes[key]), 0);
  const cacheRead = sum('cache_read_tokens');
  const cacheWrite = sum('cache_creation_tokens');
  return {
    sessionId: String(records[0].attributes['session.id']),
    turns: new Set(prompts.map((r) => r.attributes['prompt.id'])).size,
    llmCalls: requests.length,
    toolCalls: tools.length,
    failedTools: tools.filter((r) => String(r.attributes.success) === 'false').length,
    tokens: { input: sum('input_tokens') + cacheRead + cacheWrite, output: sum('output_tokens'), cacheRead, cacheWrite },
    suppliedCostUsd: sum('cost_usd'),
    prompts: prompts.map((r) => String(r.attributes.prompt)),
    responses: records.filter((r) => nameOf(r) === 'assistant_response').map((r) => String(r.attributes.response)),
    models: [...new Set(requests.map((r) => String(r.attributes.model)))].sort(),
  };
}
