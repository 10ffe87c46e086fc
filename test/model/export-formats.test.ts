import { describe, expect, it } from 'vitest';
import { StepLineError, rawSpanOfStepLine, stepLine } from '../../src/model/export-formats.js';
import { formatDurationNanos, formatUsd } from '../../src/model/human-units.js';
import { sessionTranscript } from '../../src/model/transcript.js';
import type { TimelineStep } from '../../src/model/query.js';
import type { SessionSummary, StoredSpan } from '../../src/model/types.js';
import { makeLlmRecord } from '../helpers/records.js';

function stored(overrides: Parameters<typeof makeLlmRecord>[0] = {}): StoredSpan {
  const record = makeLlmRecord(overrides);
  return { ...record, resolvedSessionId: 's-1', interrupted: false };
}

function stepOf(span: StoredSpan, depth = 0): TimelineStep {
  return {
    spanId: span.spanId,
    traceId: span.traceId,
    parentSpanId: span.parentSpanId,
    depth,
    name: span.name,
    stepType: span.stepType,
    startTimeUnixNano: span.startTimeUnixNano,
    endTimeUnixNano: span.endTimeUnixNano,
    durationNanos: span.endTimeUnixNano === null ? null : span.endTimeUnixNano - span.startTimeUnixNano,
    isError: span.isError,
    open: false,
    interrupted: false,
    model: span.responseModel,
    toolName: span.toolName,
    tokens: { input: span.usage.input, output: span.usage.output },
    costUsd: span.cost?.usd ?? null,
  };
}

function summary(span: StoredSpan): SessionSummary {
  return {
    sessionId: 's-1',
    status: 'completed',
    firstStartUnixNano: span.startTimeUnixNano,
    lastEndUnixNano: span.endTimeUnixNano,
    spanCount: 1,
    llmCallCount: 1,
    toolCallCount: 0,
    errorCount: 0,
    openCount: 0,
    interruptedCount: 0,
    tokens: { input: 100, output: 20, reasoning: 0, cacheRead: 0, cacheWrite: 0 },
    costUsd: 0.25,
    suppliedCostUsd: 0.25,
    computedCostUsd: 0,
    unpricedCallCount: 0,
    models: ['gpt-4o'],
    agentName: null,
    userId: null,
    usageMismatch: false,
    traceIds: [span.traceId],
  };
}

describe('Skein step lines', () => {
  it('carry the raw span losslessly: 64-bit integers and bytes too', () => {
    const span = stored({ raw: { attributes: { big: 2n ** 62n, bytes: new Uint8Array([1, 2, 255]), '$i': 'not a tag' } } });
    const line = JSON.parse(stepLine(span)) as { raw: unknown; v: number; startTimeUnixNano: string };
    expect(line.startTimeUnixNano).toBe(span.startTimeUnixNano.toString());
    expect(rawSpanOfStepLine(line)).toEqual(span.raw);
  });

  it('name what is missing from a bad line', () => {
    expect(() => rawSpanOfStepLine({ v: 2, raw: {} })).toThrow(StepLineError);
    expect(() => rawSpanOfStepLine({ v: 1, raw: { traceId: 'xyz' } })).toThrow(/raw\.traceId, raw\.spanId, raw\.startTimeUnixNano/);
  });
});

describe('Markdown transcript', () => {
  it('fences content with a fence longer than any backticks inside', () => {
    const span = stored({ input: { text: 'look: ```js\ncode\n```', originalLength: 20, truncated: false } });
    const md = sessionTranscript({ session: summary(span), steps: [stepOf(span)], spans: new Map([[`${span.traceId}/${span.spanId}`, span]]) });
    expect(md).toContain('````text\nlook: ```js\ncode\n```\n````');
    expect(md).toMatch(/^# Session s-1\n/);
    expect(md).toContain(`### 1. chat gpt-4o`);
    expect(md).toContain(formatUsd(0.25));
  });

  it('says when content was truncated, and escapes names that look like Markdown', () => {
    const span = stored({ name: '# not a heading *', output: { text: 'abc', originalLength: 9000, truncated: true } });
    const md = sessionTranscript({ session: summary(span), steps: [stepOf(span, 1)], spans: new Map([[`${span.traceId}/${span.spanId}`, span]]) });
    expect(md).toContain('#### 1. \\# not a heading \\*');
    expect(md).toContain('**Output** (truncated: 3 of 9,000 characters)');
  });
});

describe('human units', () => {
  it('formats durations across scales', () => {
    expect(formatDurationNanos(999n)).toBe('999ns');
    expect(formatDurationNanos(1_500n)).toBe('1.5µs');
    expect(formatDurationNanos(340_000_000n)).toBe('340ms');
    expect(formatDurationNanos(1_240_000_000n)).toBe('1.24s');
    expect(formatDurationNanos(185_000_000_000n)).toBe('3m 05s');
    expect(formatDurationNanos(null)).toBe('—');
  });
});
