/**
 * The session page's data functions without a browser: the viewer's modules
 * waterfall-tree.js and compare-align.js import no DOM, so Node loads them as
 * they are served.
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
  open: boolean;
  interrupted: boolean;
  model: string | null;
  toolName: string | null;
}
interface Row {
  step: Step;
  depth: number;
  childCount: number;
  hints: string[];
}
interface Group {
  traceId: string;
  rows: Row[];
  startNs: bigint;
  endNs: bigint;
  gapMillis: number | null;
}
interface Tree {
  groupByTrace(steps: Step[], nowNs: bigint): Group[];
  stepFilter(text: string): ((step: Step) => boolean) | null;
  visibleRows(rows: Row[], collapsed: Set<string>, filter: ((step: Step) => boolean) | null): { row: Row; match: boolean }[];
}
interface Align {
  alignSteps(a: Step[], b: Step[]): { a: Step | null; b: Step | null; turn: number }[];
}

const assets = new URL('../../../src/server/viewer/assets/', import.meta.url);
const tree = (await import(new URL('waterfall-tree.js', assets).href)) as Tree;
const align = (await import(new URL('compare-align.js', assets).href)) as Align;

const S = 1_000_000_000n;
function step(spanId: string, traceId: string, parentSpanId: string | null, startS: number, endS: number | null, extra: Partial<Step> = {}): Step {
  return {
    spanId,
    traceId,
    parentSpanId,
    name: extra.name ?? spanId,
    stepType: extra.stepType ?? 'tool',
    startTimeUnixNano: String(BigInt(startS) * S),
    endTimeUnixNano: endS === null ? null : String(BigInt(endS) * S),
    isError: false,
    open: endS === null,
    interrupted: false,
    model: null,
    toolName: null,
    ...extra,
  };
}

describe('waterfall-tree', () => {
  it('makes one group per trace in start order, with the idle time since the previous turn ended', () => {
    const steps = [step('b1', 'tb', null, 200, 210), step('a1', 'ta', null, 100, 110), step('a2', 'ta', 'a1', 101, 105)];
    const groups = tree.groupByTrace(steps, 0n);
    expect(groups.map((g) => g.traceId)).toEqual(['ta', 'tb']);
    expect(groups.map((g) => g.gapMillis)).toEqual([null, 90_000]);
    expect(groups[0].rows.map((r) => [r.step.spanId, r.depth, r.childCount])).toEqual([
      ['a1', 0, 1],
      ['a2', 1, 0],
    ]);
  });

  it('hints at a missing parent and at a child outside its parent’s time', () => {
    const steps = [
      step('root', 't', null, 10, 20),
      step('early', 't', 'root', 9, 12),
      step('late', 't', 'root', 11, 21),
      step('fine', 't', 'root', 11, 19),
      step('orphan', 't', 'gone', 12, 13),
    ];
    const hints = Object.fromEntries(tree.groupByTrace(steps, 0n)[0].rows.map((r) => [r.step.spanId, r.hints]));
    expect(hints).toEqual({ root: [], early: ['starts-before-parent'], late: ['ends-after-parent'], fine: [], orphan: ['missing-parent'] });
  });

  it('filters by words, type: and is:error, keeping ancestors as context; collapses subtrees', () => {
    const steps = [
      step('root', 't', null, 0, 10, { stepType: 'agent', name: 'invoke_agent' }),
      step('call', 't', 'root', 1, 2, { stepType: 'llm', name: 'chat gpt-4o', model: 'gpt-4o' }),
      step('tool', 't', 'root', 3, 4, { name: 'execute_tool fetch', isError: true }),
      step('deep', 't', 'tool', 3, 4, { name: 'http GET' }),
    ];
    const rows = tree.groupByTrace(steps, 0n)[0].rows;
    const shown = (filter: string, collapsed: string[] = []) =>
      tree.visibleRows(rows, new Set(collapsed), tree.stepFilter(filter)).map(({ row, match }) => `${row.step.spanId}${match ? '*' : ''}`);
    expect(tree.stepFilter('  ')).toBeNull();
    expect(shown('is:error')).toEqual(['root', 'tool*']);
    expect(shown('type:llm')).toEqual(['root', 'call*']);
    expect(shown('GPT-4O chat')).toEqual(['root', 'call*']);
    expect(shown('http')).toEqual(['root', 'tool', 'deep*']);
    expect(shown('', ['tool'])).toEqual(['root', 'call', 'tool']);
    expect(shown('', ['root'])).toEqual(['root']);
  });
});

describe('compare-align', () => {
  it('aligns turn n with turn n, then steps by type and name in order', () => {
    const a = [
      step('a1', 'a-t1', null, 0, 10, { stepType: 'agent', name: 'agent' }),
      step('a2', 'a-t1', 'a1', 1, 2, { stepType: 'llm', name: 'chat' }),
      step('a3', 'a-t1', 'a1', 3, 4, { name: 'lookup' }),
      step('a4', 'a-t2', null, 100, 110, { stepType: 'agent', name: 'agent' }),
      step('a5', 'a-t2', 'a4', 101, 102, { stepType: 'llm', name: 'chat' }),
    ];
    const b = [
      step('b1', 'b-t1', null, 0, 10, { stepType: 'agent', name: 'agent' }),
      step('b2', 'b-t1', 'b1', 1, 2, { stepType: 'llm', name: 'chat' }),
      step('bx', 'b-t1', 'b1', 2, 3, { name: 'check' }),
      step('b3', 'b-t1', 'b1', 3, 4, { name: 'lookup' }),
    ];
    const rows = align.alignSteps(a, b).map((r) => [r.turn, r.a?.spanId ?? null, r.b?.spanId ?? null]);
    expect(rows).toEqual([
      [0, 'a1', 'b1'],
      [0, 'a2', 'b2'],
      [0, null, 'bx'],
      [0, 'a3', 'b3'],
      [1, 'a4', null],
      [1, 'a5', null],
    ]);
  });
});
