import { describe, expect, it } from 'vitest';
import { orderSteps } from '../../src/store/sqlite/step-order.js';
import type { OrderedStep } from '../../src/store/sqlite/step-order.js';

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
});
