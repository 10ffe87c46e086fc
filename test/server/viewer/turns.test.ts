/**
 * The Turns tab's grouping without a browser (turns.js imports no DOM): a
 * call belongs to its nearest turn ancestor, else to the latest turn started
 * at or before it (agents whose calls are traces of their own), else to a
 * group before the first prompt; a subagent's calls count the tool calls they
 * run inside.
 */

import { describe, expect, it } from 'vitest';

interface Step {
  spanId: string;
  traceId: string;
  parentSpanId: string | null;
  name: string;
  stepType: string;
  startTimeUnixNano: string;
  endTimeUnixNano: string | null;
  isError: boolean;
  tokens?: Record<string, number>;
  costUsd?: number | null;
}
interface Turn {
  turn: Step | null;
  calls: { step: Step; nesting: number }[];
  llmCount: number;
  toolCount: number;
  errorCount: number;
  tokens: Record<string, number>;
  costUsd: number | null;
  unpricedCount: number;
}
interface Turns {
  hasTurns(steps: Iterable<Step>): boolean;
  groupTurns(steps: Iterable<Step>): Turn[];
  turnTraceIds(steps: Iterable<Step>): string[];
}

const turns = (await import(new URL('../../../src/server/viewer/assets/turns.js', import.meta.url).href)) as Turns;

const S = 1_000_000_000n;
function step(spanId: string, stepType: string, startS: number, extra: Partial<Step> = {}): Step {
  return {
    spanId,
    traceId: extra.traceId ?? 'trace-a',
    parentSpanId: extra.parentSpanId ?? null,
    name: spanId,
    stepType,
    startTimeUnixNano: String(BigInt(startS) * S),
    endTimeUnixNano: String(BigInt(startS + 1) * S),
    isError: extra.isError ?? false,
    tokens: extra.tokens ?? {},
    costUsd: extra.costUsd ?? null,
  };
}
const shape = (list: Turn[]) => list.map((t) => [t.turn?.spanId ?? null, t.calls.map((c) => `${c.step.spanId}:${c.nesting}`)]);

describe('groupTurns', () => {
  it('puts each call under its nearest turn ancestor, through other steps, in start order, with the tool calls it runs inside', () => {
    const steps = [
      step('t1', 'turn', 0),
      step('llm-b', 'llm', 5, { parentSpanId: 't1' }),
      step('agent-tool', 'tool', 2, { parentSpanId: 't1' }),
      step('exec', 'other', 2, { parentSpanId: 'agent-tool' }),
      step('sub-llm', 'llm', 3, { parentSpanId: 'exec' }),
      step('llm-a', 'llm', 1, { parentSpanId: 't1' }),
      step('t2', 'turn', 10, { traceId: 'trace-b' }),
      step('llm-c', 'llm', 11, { parentSpanId: 't2', traceId: 'trace-b' }),
    ];
    expect(shape(turns.groupTurns(steps))).toEqual([
      ['t1', ['llm-a:0', 'agent-tool:0', 'sub-llm:1', 'llm-b:0']],
      ['t2', ['llm-c:0']],
    ]);
  });

  it('puts a call with no turn ancestor in the latest turn started at or before it, and one before every turn in a group of its own, first', () => {
    const steps = [
      step('early', 'llm', 0, { traceId: 'x0' }),
      step('t1', 'turn', 1, { traceId: 't' }),
      step('same-time', 'tool', 1, { traceId: 'x1' }),
      step('t2', 'turn', 20, { traceId: 't' }),
      step('late', 'llm', 30, { traceId: 'x3' }),
      step('middle', 'llm', 5, { traceId: 'x2' }),
      // Its parent never arrived: the time decides.
      step('orphan', 'tool', 21, { traceId: 'x4', parentSpanId: 'missing' }),
    ];
    expect(shape(turns.groupTurns(steps))).toEqual([
      [null, ['early:0']],
      ['t1', ['same-time:0', 'middle:0']],
      ['t2', ['orphan:0', 'late:0']],
    ]);
  });

  it('adds up a turn: calls, tools, errors, every token kind, and cost with the unpriced calls counted apart', () => {
    const [turn] = turns.groupTurns([
      step('t', 'turn', 0),
      step('a', 'llm', 1, { parentSpanId: 't', tokens: { input: 100, output: 10, cacheRead: 40, cacheWrite: 5 }, costUsd: 0.25 }),
      step('b', 'llm', 2, { parentSpanId: 't', tokens: { input: 50, output: 5, reasoning: 3 }, costUsd: null }),
      step('c', 'tool', 3, { parentSpanId: 't', isError: true }),
      step('d', 'reasoning', 4, { parentSpanId: 't' }),
    ]);
    expect(turn).toMatchObject({ llmCount: 2, toolCount: 1, errorCount: 1, tokens: { input: 150, output: 15, reasoning: 3, cacheRead: 40, cacheWrite: 5 }, costUsd: 0.25, unpricedCount: 1 });
    expect(turn.calls.map((c) => c.step.spanId)).toEqual(['a', 'b', 'c']);
  });

  it('stops at a parent cycle instead of looping, and says which sessions have turns and which traces hold them', () => {
    const steps = [step('t', 'turn', 0, { traceId: 'turns' }), step('p', 'tool', 1, { parentSpanId: 'q', traceId: 'calls' }), step('q', 'other', 1, { parentSpanId: 'p', traceId: 'calls' }), step('x', 'other', 1, { traceId: 'plumbing' })];
    expect(shape(turns.groupTurns(steps))).toEqual([['t', ['p:0']]]);
    expect(turns.hasTurns(steps)).toBe(true);
    expect(turns.hasTurns(steps.slice(1))).toBe(false);
    expect(turns.turnTraceIds(steps)).toEqual(['turns', 'calls']);
    expect(turns.groupTurns([])).toEqual([]);
  });
});
