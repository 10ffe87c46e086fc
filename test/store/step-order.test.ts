import { describe, expect, it } from 'vitest';
import { orderSteps } from '../../src/store/common/step-order.js';
import type { OrderedStep } from '../../src/store/common/step-order.js';

const T = 1_700_000_000_000_000_000n;
const ev = (kind: 'start' | 'end', spanId: string, at: bigint, parentSpanId: string | null = null): OrderedStep => ({
  kind: kind === 'start' ? 'span.started' : 'span.ended',
  atUnixNano: T + at,
  traceId: 't',
  spanId,
  parentSpanId,
});
const names = (steps: OrderedStep[]) => steps.map((s) => `${s.kind === 'span.started' ? '+' : '-'}${s.spanId}`);

describe('orderSteps', () => {
  it('orders by time, then by arrival', () => {
    expect(names(orderSteps([ev('end', 'b', 30n), ev('start', 'a', 10n), ev('start', 'b', 20n), ev('start', 'c', 20n)]))).toEqual([
      '+a',
      '+b',
      '+c',
      '-b',
    ]);
  });

  it('lets the structure win over clocks a millisecond apart', () => {
    // The parent's end is stamped before its child's, and the child's start before its parent's.
    const steps = [ev('start', 'child', 5n, 'root'), ev('start', 'root', 9n), ev('end', 'root', 50n), ev('end', 'child', 60n, 'root')];
    expect(names(orderSteps(steps))).toEqual(['+root', '+child', '-child', '-root']);
  });

  it('keeps a step that ends before it starts (a skewed clock) started first', () => {
    expect(names(orderSteps([ev('end', 'a', 1n), ev('start', 'a', 2n)]))).toEqual(['+a', '-a']);
  });

  it('still emits every event when parent ids form a cycle', () => {
    const steps = [ev('start', 'a', 1n, 'b'), ev('start', 'b', 2n, 'a'), ev('end', 'a', 3n, 'b'), ev('end', 'b', 4n, 'a')];
    const ordered = orderSteps(steps);
    expect([...names(ordered)].sort()).toEqual(['+a', '+b', '-a', '-b']);
  });

  it('handles large batches', () => {
    const steps: OrderedStep[] = [];
    for (let i = 0; i < 5000; i++) steps.push(ev('end', `s${i}`, BigInt(10 * i + 5), 'root'), ev('start', `s${i}`, BigInt(10 * i), 'root'));
    steps.push(ev('start', 'root', 100_000n), ev('end', 'root', 0n));
    const ordered = names(orderSteps(steps));
    expect(ordered[0]).toBe('+root');
    expect(ordered.at(-1)).toBe('-root');
    expect(ordered.slice(1, 5)).toEqual(['+s0', '-s0', '+s1', '-s1']);
  });

  it('gives the one order the rules allow, whatever the ids: shared span ids across traces, repeats, cycles, equal times', () => {
    let seed = 11;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const pick = <X>(items: readonly X[]): X => items[Math.floor(random() * items.length)];
    for (let round = 0; round < 300; round++) {
      const steps: OrderedStep[] = [];
      const count = 1 + Math.floor(random() * 30);
      for (let i = 0; i < count; i++) {
        steps.push({
          kind: random() < 0.5 ? 'span.started' : 'span.ended',
          atUnixNano: T + BigInt(Math.floor(random() * 8)),
          // Every other round one trace: span ids alone tell its spans apart.
          traceId: round % 2 === 0 ? 't1' : pick(['t1', 't2', 't', 't/x']),
          spanId: pick(['a', 'b', 'c', 'd', 'x/a']),
          parentSpanId: pick([null, 'a', 'b', 'c', 'x/a']),
        });
      }
      expect(orderSteps(steps)).toEqual(referenceOrder(steps));
    }
  });
});

/**
 * The rules spelled out, slowly: the last start of a span precedes its last
 * end, a span's last start precedes its children's starts, a child's end
 * precedes its parent's last end (spans keyed `trace/span`); of the events
 * free to go, the earliest (then the first to arrive) goes; a cycle's events
 * follow by time.
 */
function referenceOrder(steps: readonly OrderedStep[]): OrderedStep[] {
  const key = (traceId: string, spanId: string) => `${traceId}/${spanId}`;
  const last = (kind: OrderedStep['kind'], k: string): number | undefined => {
    let found: number | undefined;
    steps.forEach((s, i) => {
      if (s.kind === kind && key(s.traceId, s.spanId) === k) found = i;
    });
    return found;
  };
  const edges: Array<[number, number]> = [];
  steps.forEach((s, i) => {
    const own = key(s.traceId, s.spanId);
    if (s.kind === 'span.started' && last('span.started', own) === i) {
      const end = last('span.ended', own);
      if (end !== undefined && end !== i) edges.push([i, end]);
    }
    if (s.parentSpanId === null) return;
    const parent = key(s.traceId, s.parentSpanId);
    const from = s.kind === 'span.started' ? last('span.started', parent) : i;
    const to = s.kind === 'span.started' ? i : last('span.ended', parent);
    if (from !== undefined && to !== undefined && from !== to) edges.push([from, to]);
  });
  const earlier = (a: number, b: number) =>
    steps[a].atUnixNano < steps[b].atUnixNano || (steps[a].atUnixNano === steps[b].atUnixNano && a < b);
  const placed = new Set<number>();
  const out: OrderedStep[] = [];
  for (;;) {
    let next: number | undefined;
    steps.forEach((_, i) => {
      if (placed.has(i) || edges.some(([from, to]) => to === i && !placed.has(from))) return;
      if (next === undefined || earlier(i, next)) next = i;
    });
    if (next === undefined) break;
    placed.add(next);
    out.push(steps[next]);
  }
  const rest = steps.map((_, i) => i).filter((i) => !placed.has(i));
  rest.sort((a, b) => (earlier(a, b) ? -1 : 1));
  return [...out, ...rest.map((i) => steps[i])];
}
