/**
 * The Markdown transcript shows the history a span-attribute instrumentation re-sends with every call
 * (`gen_ai.input.messages` holding the whole conversation) once: a model call whose input begins with the
 * previous call's whole input, and then its answer, shows those lines as one reference to that step.
 */
import { describe, expect, it } from 'vitest';
import type { TimelineStep } from '../../src/model/query.js';
import { sessionTranscript } from '../../src/model/transcript.js';
import type { ContentText, SessionSummary, StoredSpan } from '../../src/model/types.js';
import { BASE_TIME_UNIX_NANO, SECOND, makeLlmRecord, makeRecord } from '../helpers/records.js';

const text = (value: string, truncated = false): ContentText => ({ text: value, originalLength: value.length + (truncated ? 10 : 0), truncated });

function span(i: number, fields: Partial<StoredSpan>): StoredSpan {
  const start = BASE_TIME_UNIX_NANO + BigInt(i) * SECOND;
  const record = fields.stepType === 'tool' ? makeRecord({ startTimeUnixNano: start, ...fields }) : makeLlmRecord({ startTimeUnixNano: start, ...fields });
  return { ...record, resolvedSessionId: 's-1', interrupted: false };
}

function transcript(spans: StoredSpan[]): string {
  const steps: TimelineStep[] = spans.map((s) => ({
    spanId: s.spanId,
    traceId: s.traceId,
    parentSpanId: null,
    depth: 0,
    name: s.name,
    stepType: s.stepType,
    startTimeUnixNano: s.startTimeUnixNano,
    endTimeUnixNano: s.endTimeUnixNano,
    durationNanos: 0n,
    isError: false,
    open: false,
    interrupted: false,
    model: null,
    toolName: s.toolName,
    tokens: {},
    costUsd: null,
  }));
  const session = {
    sessionId: 's-1', status: 'completed', firstStartUnixNano: BASE_TIME_UNIX_NANO, lastEndUnixNano: BASE_TIME_UNIX_NANO + 10n * SECOND,
    spanCount: spans.length, llmCallCount: spans.length, toolCallCount: 0, errorCount: 0, openCount: 0, interruptedCount: 0,
    tokens: { input: 0, output: 0, reasoning: 0, cacheRead: 0, cacheWrite: 0 }, costUsd: 0, suppliedCostUsd: 0, computedCostUsd: 0,
    unpricedCallCount: 0, models: [], agentName: null, userId: null, usageMismatch: false, traceIds: [],
  } satisfies SessionSummary;
  return sessionTranscript({ session, steps, spans: new Map(spans.map((s) => [`${s.traceId}/${s.spanId}`, s])) });
}

const occurrences = (md: string, part: string): number => md.split(part).length - 1;

describe('Markdown transcript: history re-sent with each call', () => {
  it('shows the previous call and its answer once, as a reference to its step, and what is new', () => {
    const md = transcript([
      span(1, { input: text('system: You are terse.\nuser: list the files'), output: text('assistant: ls()') }),
      span(2, { stepType: 'tool', name: 'ls', toolName: 'ls', input: text('{}'), output: text('hello.txt') }),
      span(3, { input: text('system: You are terse.\nuser: list the files\nassistant: ls()\ntool: hello.txt'), output: text('assistant: hello.txt') }),
      span(4, { input: text('system: You are terse.\nuser: list the files\nassistant: ls()\ntool: hello.txt\nassistant: hello.txt\nuser: thanks'), output: text('assistant: welcome') }),
    ]);
    expect(occurrences(md, 'You are terse.')).toBe(1);
    expect(occurrences(md, 'user: list the files')).toBe(1);
    expect(md).toContain('```text\n[3 earlier lines, as in step 1]\ntool: hello.txt\n```');
    expect(md).toContain('```text\n[5 earlier lines, as in step 3]\nuser: thanks\n```');
  });

  it('shows an input whole when it does not begin with the previous input, or the previous one was cut', () => {
    const md = transcript([
      span(1, { input: text('system: You are terse.\nuser: list the files'), output: text('assistant: ls()') }),
      span(2, { input: text('system: You are a poet.\nuser: list the files'), output: text('assistant: no') }),
      span(3, { input: text('system: You are a poet.\nuser: list the', true), output: text('assistant: no') }),
      span(4, { input: text('system: You are a poet.\nuser: list the files\nuser: again'), output: text('assistant: no') }),
    ]);
    expect(md).toContain('```text\nsystem: You are a poet.\nuser: list the files\n```');
    expect(md).toContain('```text\nsystem: You are a poet.\nuser: list the files\nuser: again\n```');
    expect(md).not.toContain('earlier lines');
  });
});
