/**
 * The usage join as data (an agent table's `usageJoin`): a made-up agent whose spans carry only input
 * and output while an event carries every kind is a table entry, read by the provider's convention,
 * matched to its call by span id or by session, model and time, its counts replacing the span's (never
 * added) and priced by the normalizer from the joined counts.
 */
import { describe, expect, it } from 'vitest';
import { GEMINI_CLI } from '../../../src/model/agents/gemini-cli.js';
import {
  callOfUsageEvent,
  isUsageEvent,
  joinEventUsage,
  matchesUsageEvent,
  usageAttributes,
  usageEventFor,
  usageOfEvent,
} from '../../../src/model/agents/usage-join.js';
import type { AgentUsageJoin } from '../../../src/model/agents/usage-join.js';
import type { RawLogRecord } from '../../../src/model/log-types.js';
import { normalizeSpan } from '../../../src/model/normalize.js';
import { createPriceTable } from '../../../src/model/pricing.js';
import type { RawSpan } from '../../../src/model/types.js';
import { makeRawSpan } from '../../helpers/raw-spans.js';
import { makeRawLog } from '../../ingest/raw-signals.js';

/** An agent that, like Gemini CLI, reports a call's cache and reasoning tokens only on an event. */
const JOIN: AgentUsageJoin = {
  eventNameKey: 'event.name',
  eventName: 'acme.call_done',
  modelKey: 'model',
  tokens: { input: 'in', output: 'out', cacheRead: 'cached', cacheWrite: 'cache_written', reasoning: 'thinking' },
  convention: 'openai',
};

const START = 1_800_000_000_000_000_000n;
const END = START + 2_000_000_000n;

function call(overrides: Partial<RawSpan> = {}): RawSpan {
  return makeRawSpan({
    name: 'acme.call',
    startTimeUnixNano: START,
    endTimeUnixNano: END,
    attributes: {
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'acme-1',
      'gen_ai.conversation.id': 'session-a',
      'gen_ai.usage.input_tokens': 1000,
      'gen_ai.usage.output_tokens': 50,
      'gen_ai.usage.total_tokens': 1050,
    },
    ...overrides,
  });
}

function event(attributes: Record<string, unknown>, overrides: Partial<RawLogRecord> = {}): RawLogRecord {
  return makeRawLog({
    eventName: '',
    timeUnixNano: END - 1_000n,
    attributes: {
      'event.name': 'acme.call_done',
      'session.id': 'session-a',
      model: 'acme-1',
      in: 1000,
      out: 80,
      cached: 600,
      cache_written: 100,
      thinking: 30,
      ...attributes,
    } as RawLogRecord['attributes'],
    ...overrides,
  });
}

describe('usage join, as an agent table describes it', () => {
  it('Gemini CLI is such an entry: its api_response event, read by the gemini convention', () => {
    expect(GEMINI_CLI.usageJoin).toMatchObject({ eventNameKey: 'event.name', eventName: 'gemini_cli.api_response', modelKey: 'model', convention: 'gemini' });
  });

  it('reads the event by the provider convention: cache inside input or added to it, reasoning inside output or added to it', () => {
    const record = event({});
    expect(isUsageEvent(JOIN, record)).toBe(true);
    expect(isUsageEvent(JOIN, event({ 'event.name': 'acme.other' }))).toBe(false);
    expect(usageOfEvent(JOIN, record)).toEqual({ input: 1000, output: 80, cacheRead: 600, cacheWrite: 100, reasoning: 30 });
    expect(usageOfEvent({ ...JOIN, convention: 'gemini' }, record)).toEqual({ input: 1000, output: 110, cacheRead: 600, cacheWrite: 100, reasoning: 30 });
    expect(usageOfEvent({ ...JOIN, convention: 'anthropic' }, record)).toEqual({ input: 1700, output: 80, cacheRead: 600, cacheWrite: 100, reasoning: 30 });
    // Counts as text are read; what is not a count is left out, never read as 0.
    expect(usageOfEvent(JOIN, event({ in: '1000', out: 'many', thinking: -3 }))).toEqual({ input: 1000, cacheRead: 600, cacheWrite: 100 });
  });

  it('matches by span id when the event has one, else by session, model and the call’s time', () => {
    const span = call();
    const step = normalizeSpan(span);
    expect(step.stepType).toBe('llm');
    const tied = event({}, { traceId: span.traceId, spanId: span.spanId, timeUnixNano: END + 5_000_000_000n });
    expect(matchesUsageEvent(JOIN, step, tied)).toBe(true);
    expect(matchesUsageEvent(JOIN, step, event({}, { traceId: span.traceId, spanId: 'ffffffffffffffff' }))).toBe(false);
    expect(matchesUsageEvent(JOIN, step, event({}))).toBe(true);
    expect(matchesUsageEvent(JOIN, step, event({}, { timeUnixNano: START }))).toBe(true);
    expect(matchesUsageEvent(JOIN, step, event({}, { timeUnixNano: START - 1n }))).toBe(false);
    expect(matchesUsageEvent(JOIN, step, event({}, { timeUnixNano: END + 1n }))).toBe(false);
    expect(matchesUsageEvent(JOIN, step, event({ model: 'acme-2' }))).toBe(false);
    expect(matchesUsageEvent(JOIN, step, event({ 'session.id': 'session-b' }))).toBe(false);
    const tool = normalizeSpan(call({ attributes: { ...span.attributes, 'gen_ai.operation.name': 'execute_tool' } }));
    expect(matchesUsageEvent(JOIN, tool, event({}))).toBe(false);
  });

  it('picks the event tied to the call over one that only falls in its time, else the latest', () => {
    const span = call();
    const step = normalizeSpan(span);
    const early = event({ out: 1 }, { timeUnixNano: START + 10n });
    const late = event({ out: 2 }, { timeUnixNano: END - 10n });
    const tied = event({ out: 3 }, { traceId: span.traceId, spanId: span.spanId, timeUnixNano: START + 5n });
    expect(usageEventFor(JOIN, step, [late, tied, early])).toBe(tied);
    expect(usageEventFor(JOIN, step, [late, early])).toBe(late);
    expect(usageEventFor(JOIN, step, [event({ model: 'acme-2' })])).toBeUndefined();
  });

  it('gives an event without a span id to one call only: of the calls it falls in, the one that ends first after it', () => {
    const long = normalizeSpan(call());
    const short = normalizeSpan(call({ startTimeUnixNano: START + 100n, endTimeUnixNano: START + 1_000n }));
    const open = normalizeSpan(call({ startTimeUnixNano: START + 50n, endTimeUnixNano: null }));
    const inBoth = event({ out: 1 }, { timeUnixNano: START + 500n });
    expect(callOfUsageEvent(JOIN, inBoth, [long, open, short])).toBe(short);
    expect(callOfUsageEvent(JOIN, inBoth, [open, long])).toBe(long);
    expect(callOfUsageEvent(JOIN, event({}, { timeUnixNano: START + 2_000n }), [long, open, short])).toBe(long);
    expect(callOfUsageEvent(JOIN, event({ model: 'acme-2' }), [long, short])).toBeUndefined();
    // Tied to a span: that call, wherever its time.
    const tied = event({}, { traceId: long.traceId, spanId: long.spanId, timeUnixNano: START + 500n });
    expect(callOfUsageEvent(JOIN, tied, [short, long])).toBe(long);
    // So the long call does not take the short one's event when it knows of the short one; alone it would.
    expect(usageEventFor(JOIN, long, [inBoth], () => [short])).toBeUndefined();
    expect(usageEventFor(JOIN, short, [inBoth], () => [long])).toBe(inBoth);
    expect(usageEventFor(JOIN, long, [inBoth])).toBe(inBoth);
  });

  it('replaces the span counts with the event ones, kind by kind, never adding; the span total stays its own', () => {
    const step = normalizeSpan(call());
    expect(step.usage).toEqual({ input: 1000, output: 50, total: 1050 });
    const joined = joinEventUsage(step.usage, usageOfEvent(JOIN, event({})));
    expect(joined).toEqual({ input: 1000, output: 80, cacheRead: 600, cacheWrite: 100, reasoning: 30, total: 1050 });
    // Joined again (the same event stored twice, a replay): the same counts.
    expect(joinEventUsage(joined, usageOfEvent(JOIN, event({})))).toEqual(joined);
    // An event without a kind leaves the span's count of it.
    expect(joinEventUsage(step.usage, usageOfEvent(JOIN, event({ out: undefined, thinking: undefined })))).toEqual({
      input: 1000,
      output: 50,
      cacheRead: 600,
      cacheWrite: 100,
      total: 1050,
    });
  });

  it('prices the joined counts as the normalizer prices a span that carries them: cache at its rates, reasoning once', () => {
    const prices = createPriceTable(
      { 'acme-1': { inputPerMTok: 2, outputPerMTok: 10, cacheReadPerMTok: 0.2, cacheWritePerMTok: 2.5, reasoningPerMTok: 12 } },
      { includeDefaults: false },
    );
    const span = call();
    const joined = joinEventUsage(normalizeSpan(span).usage, usageOfEvent(JOIN, event({})));
    const priced = normalizeSpan({ ...span, attributes: { ...span.attributes, ...usageAttributes(joined) } }, { prices });
    expect(priced.usage).toEqual(joined);
    // 300 uncached input, 600 cache reads, 100 cache writes; 50 visible output, 30 reasoning.
    const expected = (300 * 2 + 600 * 0.2 + 100 * 2.5 + 50 * 10 + 30 * 12) / 1_000_000;
    expect(priced.cost).toEqual({ usd: expect.closeTo(expected, 15) as unknown as number, source: 'computed' });
  });
});
