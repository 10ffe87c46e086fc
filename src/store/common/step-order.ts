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
  const spans = new SpanSteps(steps);
  // Edges as linked lists in typed arrays (a step has at most two): the batch's steps allocate no array each.
  const head = new Int32Array(n).fill(-1);
  const link = new Int32Array(2 * n);
  const target = new Int32Array(2 * n);
  const waiting = new Int32Array(n);
  let edges = 0;
  const edge = (from: number | undefined, to: number | undefined) => {
    if (from === undefined || to === undefined || from === to) return;
    target[edges] = to;
    link[edges] = head[from];
    head[from] = edges++;
    waiting[to]++;
  };
  for (let i = 0; i < n; i++) {
    const step = steps[i];
    // Once per span: from its (last) start to its (last) end.
    if (step.kind === 'span.started' && spans.startOf(step.traceId, step.spanId) === i) {
      edge(i, spans.endOf(step.traceId, step.spanId));
    }
    if (step.parentSpanId === null) continue;
    if (step.kind === 'span.started') edge(spans.startOf(step.traceId, step.parentSpanId), i);
    else edge(i, spans.endOf(step.traceId, step.parentSpanId));
  }

  // The heap's order is total (time, then arrival), so the order edges are followed in does not matter.
  const before = (a: number, b: number) =>
    steps[a].atUnixNano < steps[b].atUnixNano || (steps[a].atUnixNano === steps[b].atUnixNano && a < b);
  const ready = new MinHeap(before);
  for (let i = 0; i < n; i++) if (waiting[i] === 0) ready.push(i);
  const ordered: T[] = [];
  const placed = new Uint8Array(n);
  while (ready.size > 0) {
    const i = ready.pop();
    placed[i] = 1;
    ordered.push(steps[i]);
    for (let e = head[i]; e >= 0; e = link[e]) if (--waiting[target[e]] === 0) ready.push(target[e]);
  }
  // Only a parent cycle (malformed ids) leaves events behind: they follow by time.
  if (ordered.length < n) {
    const rest: number[] = [];
    for (let i = 0; i < n; i++) if (placed[i] === 0) rest.push(i);
    rest.sort((a, b) => (before(a, b) ? -1 : 1));
    for (const i of rest) ordered.push(steps[i]);
  }
  return ordered;
}

/**
 * The last start and the last end of each span among the steps. Keyed by
 * span id alone, the trace checked on the way out: no `trace/span` string
 * per step. Two traces sharing a span id (malformed, or ids too short), or a
 * trace id with a slash, turn it to `trace/span` keys.
 */
class SpanSteps {
  private readonly starts = new Map<string, number>();
  private readonly ends = new Map<string, number>();
  private readonly byTrace: boolean;

  constructor(private readonly steps: readonly OrderedStep[]) {
    this.byTrace = !this.index((step) => step.spanId, true);
    if (this.byTrace) {
      this.starts.clear();
      this.ends.clear();
      this.index((step) => `${step.traceId}/${step.spanId}`, false);
    }
  }

  startOf(traceId: string, spanId: string): number | undefined {
    return this.find(this.starts, traceId, spanId);
  }

  endOf(traceId: string, spanId: string): number | undefined {
    return this.find(this.ends, traceId, spanId);
  }

  /** False (`exclusive`: at once) when two traces share a key. */
  private index(keyOf: (step: OrderedStep) => string, exclusive: boolean): boolean {
    for (let i = 0; i < this.steps.length; i++) {
      const step = this.steps[i];
      const map = step.kind === 'span.started' ? this.starts : this.ends;
      const key = keyOf(step);
      if (exclusive) {
        // A trace id with a slash could make two spans one `trace/span` key: they stay one, as before.
        if (step.traceId.includes('/')) return false;
        const other = map.get(key);
        if (other !== undefined && this.steps[other].traceId !== step.traceId) return false;
      }
      map.set(key, i);
    }
    return true;
  }

  private find(map: Map<string, number>, traceId: string, spanId: string): number | undefined {
    if (this.byTrace) return map.get(`${traceId}/${spanId}`);
    const i = map.get(spanId);
    return i !== undefined && this.steps[i].traceId === traceId ? i : undefined;
  }
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
