/**
 * "Prompts and answers searchable for every agent" (issue 17): each real capture of
 * test/fixtures/agents/ replayed, as it was sent, into one real collector; the user's prompt and the
 * model's answer of that capture, read from the capture itself, are found by `GET /api/search`, and
 * the hit is the right session's right step (for a captured span: that very span; for a step Skein
 * made from events: its step type, with the text as its input or output).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCollector } from '../../src/collector/start-collector.js';
import type { RunningCollector } from '../../src/collector/start-collector.js';
import type { RawLogRecord } from '../../src/model/log-types.js';
import type { RawSpan } from '../../src/model/types.js';
import { decodeLogsRequest, decodeTraceRequest } from '../../src/otlp/index.js';
import { AGENT_FIXTURES_DIR, listRequests, replayScenario, requestBodies } from '../fixtures/agents/replay.js';

interface Capture {
  spans: RawSpan[];
  logs: RawLogRecord[];
}

/** One text of the capture and the step a search for it must find. */
interface Finding {
  what: string;
  text: string;
  stepType: string;
  /** Where the step holds the text. */
  field: 'input' | 'output';
  /** The captured spans the hit may be (any of them); absent for a step made from events. */
  spanIds?: string[];
}

interface Expected {
  sessionId: string;
  findings: Finding[];
}

function decode(dir: string): Capture {
  const capture: Capture = { spans: [], logs: [] };
  for (const request of listRequests(dir)) {
    for (const body of requestBodies(request)) {
      if (request.signal === 'traces') capture.spans.push(...decodeTraceRequest(body, request.format).spans);
      else if (request.signal === 'logs') capture.logs.push(...decodeLogsRequest(body, request.format).records);
    }
  }
  return capture;
}

const attr = (record: { attributes: unknown }, key: string): unknown => (record.attributes as Record<string, unknown>)[key];
const text = (value: unknown): string => {
  if (typeof value !== 'string' || value === '') throw new Error(`expected text in the capture, got ${String(value)}`);
  return value;
};
const events = (capture: Capture, name: string) => capture.logs.filter((r) => attr(r, 'event.name') === name);
const spansNamed = (capture: Capture, name: string) => capture.spans.filter((s) => s.name === name);

/** Claude Code: the prompt of `user_prompt`, the last answer of `assistant_response` (its request_id names its llm_request span). */
function claudeCode(capture: Capture): Expected {
  const prompt = events(capture, 'user_prompt')[0];
  const answer = events(capture, 'assistant_response').at(-1)!;
  const traced = capture.spans.length > 0;
  const findings: Finding[] = [
    {
      what: 'prompt',
      text: text(attr(prompt, 'prompt')),
      stepType: 'turn',
      field: 'input',
      spanIds: traced ? spansNamed(capture, 'claude_code.interaction').map((s) => s.spanId) : undefined,
    },
    {
      what: 'answer',
      text: text(attr(answer, 'response')),
      stepType: 'llm',
      field: 'output',
      spanIds: traced
        ? spansNamed(capture, 'claude_code.llm_request').filter((s) => attr(s, 'request_id') === attr(answer, 'request_id')).map((s) => s.spanId)
        : undefined,
    },
  ];
  // With OTEL_LOG_TOOL_CONTENT=1 a tool span carries its result as a `tool.output` span event.
  for (const span of spansNamed(capture, 'claude_code.tool')) {
    const output = span.events.find((e) => e.name === 'tool.output');
    const result = output?.attributes.content ?? output?.attributes.output;
    if (typeof result === 'string') findings.push({ what: `${String(attr(span, 'tool_name'))} result`, text: result, stepType: 'tool', field: 'output', spanIds: [span.spanId] });
  }
  return { sessionId: text(attr(prompt, 'session.id')), findings };
}

/** Codex CLI: the prompt of `codex.user_prompt`. Its answer text is in none of its records (see the test). */
function codex(capture: Capture): Expected {
  const prompt = events(capture, 'codex.user_prompt')[0];
  return {
    sessionId: text(attr(prompt, 'conversation.id')),
    findings: [{ what: 'prompt', text: text(attr(prompt, 'prompt')), stepType: 'turn', field: 'input' }],
  };
}

/** The text parts of GenAI / Gemini messages JSON (`parts[].content` or `parts[].text`). */
function messageTexts(json: unknown): string[] {
  const parsed = JSON.parse(text(json)) as unknown;
  const messages = Array.isArray(parsed) ? parsed : [parsed];
  return messages.flatMap((m: { parts?: Array<{ text?: unknown; content?: unknown; type?: unknown }> }) =>
    (m.parts ?? []).flatMap((p) => [p.text, p.type === 'text' ? p.content : undefined].filter((t): t is string => typeof t === 'string')),
  );
}

/** Gemini CLI: the prompt of `gemini_cli.user_prompt`; the answer, the last text its llm_call spans output. */
function geminiCli(capture: Capture): Expected {
  const prompt = events(capture, 'gemini_cli.user_prompt')[0];
  const calls = spansNamed(capture, 'llm_call');
  const last = calls.reduce((a, b) => (b.startTimeUnixNano > a.startTimeUnixNano ? b : a));
  const answer = messageTexts(attr(last, 'gen_ai.output.messages')).at(-1)!;
  const promptText = text(attr(prompt, 'prompt'));
  return {
    sessionId: text(attr(prompt, 'session.id')),
    findings: [
      {
        what: 'prompt',
        text: promptText,
        stepType: 'llm',
        field: 'input',
        spanIds: calls.filter((s) => String(attr(s, 'gen_ai.input.messages')).includes(promptText)).map((s) => s.spanId),
      },
      { what: 'answer', text: answer, stepType: 'llm', field: 'output', spanIds: [last.spanId] },
    ],
  };
}

/** The OTel OpenAI instrumentation: the prompt of `gen_ai.user.message`, the answer of the last `gen_ai.choice`; each names its span. */
function otelOpenAi(capture: Capture): Expected {
  const prompt = events(capture, 'gen_ai.user.message')[0];
  const answer = events(capture, 'gen_ai.choice').filter((r) => typeof (r.body as { message?: { content?: unknown } }).message?.content === 'string').at(-1)!;
  const resource = capture.spans[0].resource.attributes;
  const withEvent = (name: string, body: string) =>
    [...new Set(events(capture, name).filter((r) => JSON.stringify(r.body).includes(JSON.stringify(body))).map((r) => r.spanId as string))];
  const promptText = text((prompt.body as { content?: unknown }).content);
  const answerText = text((answer.body as { message: { content: unknown } }).message.content);
  return {
    sessionId: text(resource['session.id']),
    findings: [
      { what: 'prompt', text: promptText, stepType: 'llm', field: 'input', spanIds: withEvent('gen_ai.user.message', promptText) },
      { what: 'answer', text: answerText, stepType: 'llm', field: 'output', spanIds: withEvent('gen_ai.choice', answerText) },
    ],
  };
}

const SCENARIOS: ReadonlyArray<[program: string, scenario: string, read: (capture: Capture) => Expected]> = [
  ['claude-code', 'default', claudeCode],
  ['claude-code', 'beta-content', claudeCode],
  ['codex', 'exec-http-binary', codex],
  ['gemini-cli', 'http-json', geminiCli],
  ['sdk-otel-openai', 'chat-content', otelOpenAi],
];

interface Hit {
  sessionId: string;
  traceId: string;
  spanId: string;
  stepType: string;
  snippet: string;
}

interface ApiSpan {
  spanId: string;
  stepType: string;
  input: { text: string } | null;
  output: { text: string } | null;
}

let collector: RunningCollector;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'skein-agent-search-'));
  collector = await startCollector({ dbPath: join(dir, 'skein.db'), port: 0 });
  for (const [program, scenario] of SCENARIOS) {
    const answers = await replayScenario(join(AGENT_FIXTURES_DIR, program, scenario), { httpUrl: collector.url, grpcPort: null });
    expect(answers.map((a) => a.httpStatus), `${program}/${scenario}`).toEqual(answers.map(() => 200));
  }
});

afterAll(async () => {
  await collector?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function getJson<T>(path: string): Promise<T> {
  const response = await fetch(`${collector.url}${path}`);
  expect(response.status, path).toBe(200);
  return (await response.json()) as T;
}

describe('prompts and answers of every agent are searchable (GET /api/search)', () => {
  it.each(SCENARIOS.map(([program, scenario, read]) => ({ name: `${program}/${scenario}`, program, scenario, read })))(
    '$name: its prompt and answer are found on the right session and step',
    async ({ program, scenario, read }) => {
      const expected = read(decode(join(AGENT_FIXTURES_DIR, program, scenario)));
      expect(expected.findings.map((f) => f.what)).toEqual(expect.arrayContaining(program === 'codex' ? ['prompt'] : ['prompt', 'answer']));
      for (const finding of expected.findings) {
        const { hits } = await getJson<{ hits: Hit[] }>(`/api/search?q=${encodeURIComponent(finding.text)}&limit=100`);
        const mine = hits.filter((h) => h.sessionId === expected.sessionId && h.stepType === finding.stepType);
        expect(mine, `${program}/${scenario} ${finding.what} "${finding.text.slice(0, 60)}": hits ${JSON.stringify(hits.map((h) => [h.sessionId, h.stepType, h.spanId]))}`).not.toEqual([]);
        if (finding.spanIds !== undefined) {
          expect(finding.spanIds.length, `${finding.what}: spans of the capture holding it`).toBeGreaterThan(0);
          expect(mine.some((h) => finding.spanIds!.includes(h.spanId)), `${finding.what}: a hit on one of ${finding.spanIds.join(', ')}`).toBe(true);
        }
        // The step found holds the text where it should.
        const hit = mine.find((h) => finding.spanIds?.includes(h.spanId) ?? true)!;
        const trace = await getJson<{ spans: ApiSpan[] }>(`/api/traces/${hit.traceId}`);
        const step = trace.spans.find((s) => s.spanId === hit.spanId);
        expect(step?.[finding.field]?.text, `${finding.what} as the step's ${finding.field}`).toContain(finding.text);
      }
    },
  );

  it("Codex's answer is in none of its captured records: nothing to search for", () => {
    // `log_agent_responses = true` was set, but codex exec 0.171.0 sent no `codex.agent_response` event; the
    // answer the fake API gave ("The directory contains …") appears in no span or record of the capture.
    const capture = decode(join(AGENT_FIXTURES_DIR, 'codex', 'exec-http-binary'));
    const all = JSON.stringify([capture.spans, capture.logs], (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
    expect(all).toContain('list the files here');
    expect(all).not.toContain('The directory contains');
  });
});
