/**
 * The order in which one batch's step events enter the change feed.
 *
 * By time, but timestamps alone are not enough: OTel JS takes a span's start
 * from `Date.now()` (whole milliseconds) and its end as start plus a precise
 * duration, so a parent can appear to end up to a millisecond before its last
 * child. The structure is certain, so it wins over the clock: a step starts
 * before it ends, a parent starts before its children and ends after them.
 * Everything else goes by time, then by arrival.
 */

export interface OrderedStep {
  kind: 'span.started' | 'span.ended';
  atUnixNano: bigint;
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
}

export function orderSteps<T extends OrderedStep>(steps: readonly T[]): T[] {
  const n = steps.length;
  if (n < 2) return [...steps];
  const startOf = new Map<string, number>();
  const endOf = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const key = `${steps[i].traceId}/${steps[i].spanId}`;
    (steps[i].kind === 'span.started' ? startOf : endOf).set(key, i);
  }
  const next: number[][] = steps.map(() => []);
  const waiting = new Array<number>(n).fill(0);
  const edge = (from: number | undefined, to: number | undefined) => {
    if (from === undefined || to === undefined || from === to) return;
    next[from].push(to);
    waiting[to]++;
  };
  for (const [key, start] of startOf) edge(start, endOf.get(key));
  for (let i = 0; i < n; i++) {
    const step = steps[i];
    if (step.parentSpanId === null) continue;
    const parent = `${step.traceId}/${step.parentSpanId}`;
    if (step.kind === 'span.started') edge(startOf.get(parent), i);
    else edge(i, endOf.get(parent));
  }

  const before = (a: number, b: number) =>
    steps[a].atUnixNano < steps[b].atUnixNano || (steps[a].atUnixNano === steps[b].atUnixNano && a < b);
  const ready = new MinHeap(before);
  for (let i = 0; i < n; i++) if (waiting[i] === 0) ready.push(i);
  const ordered: T[] = [];
  const placed = new Array<boolean>(n).fill(false);
  while (ready.size > 0) {
    const i = ready.pop();
    placed[i] = true;
    ordered.push(steps[i]);
    for (const j of next[i]) if (--waiting[j] === 0) ready.push(j);
  }
  // Only a parent cycle (malformed ids) leaves events behind: they follow by time.
  if (ordered.length < n) {
    const rest = steps.map((_, i) => i).filter((i) => !placed[i]);
    rest.sort((a, b) => (before(a, b) ? -1 : 1));
    for (const i of rest) ordered.push(steps[i]);
  }
  return ordered;
}

class MinHeap {
  private readonly items: number[] = [];

  constructor(private readonly before: (a: number, b: number) => boolean) {}

  get size(): number {
    return this.items.length;
  }

  push(item: number): void {
    const items = this.items;
    items.push(item);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(items[i], items[parent])) break;
      [items[i], items[parent]] = [items[parent], items[i]];
      i = parent;
    }
  }

  pop(): number {
    const items = this.items;
    const top = items[0];
    const last = items.pop()!;
    if (items.length > 0) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let smallest = i;
        if (left < items.length && this.before(items[left], items[smallest])) smallest = left;
        if (right < items.length && this.before(items[right], items[smallest])) smallest = right;
        if (smallest === i) break;
        [items[i], items[smallest]] = [items[smallest], items[i]];
        i = smallest;
      }
    }
    return top;
  }
}
