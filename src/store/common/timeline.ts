/** A session's timeline as both stores build it: each step's depth (`getTimeline`), and the tree (`getTree`). */

import type { TimelineStep, TreeNode } from '../../model/query.js';

/** How to read a row's trace id, span id and parent span id (rows are objects on one store, arrays on the other). */
export interface StepIdsOf<Row> {
  traceId(row: Row): string;
  spanId(row: Row): string;
  parentSpanId(row: Row): string | null;
}

/**
 * The depth of each row (in start order): its ancestors inside the session.
 * A step whose parent is not among the rows (elsewhere, or not yet arrived),
 * or whose parents loop, is at 0.
 */
export function stepDepths<Row>(rows: readonly Row[], ids: StepIdsOf<Row>): number[] {
  // One trace (the usual session): span ids alone tell the steps apart.
  const oneTrace = rows.every((row) => ids.traceId(row) === ids.traceId(rows[0]));
  const key = oneTrace
    ? (_traceId: string, spanId: string): string => spanId
    : (traceId: string, spanId: string): string => `${traceId}/${spanId}`;
  const parents = new Map<string, string | null>();
  for (const row of rows) {
    const traceId = ids.traceId(row);
    const parentSpanId = ids.parentSpanId(row);
    parents.set(key(traceId, ids.spanId(row)), parentSpanId === null ? null : key(traceId, parentSpanId));
  }
  const known = new Map<string, number>();
  const depthOf = (start: string): number => {
    // Steps come in start order, so a parent's depth is usually known already: no walk.
    const parent = parents.get(start);
    if (parent === null || parent === undefined || !parents.has(parent)) {
      known.set(start, 0);
      return 0;
    }
    const parentDepth = known.get(parent);
    if (parentDepth !== undefined) {
      known.set(start, parentDepth + 1);
      return parentDepth + 1;
    }
    // Walk up to a known depth or a root; the visited set stops a parent cycle.
    const path: string[] = [];
    const visited = new Set<string>();
    let current: string | null = start;
    let base = -1;
    while (current !== null && parents.has(current) && !visited.has(current)) {
      const depth = known.get(current);
      if (depth !== undefined) {
        base = depth;
        break;
      }
      visited.add(current);
      path.push(current);
      current = parents.get(current) ?? null;
    }
    for (let i = path.length - 1; i >= 0; i--) known.set(path[i], base + (path.length - i));
    return known.get(start) ?? 0;
  };
  return rows.map((row) => depthOf(key(ids.traceId(row), ids.spanId(row))));
}

/** The timeline as a forest; children in start order. */
export function timelineTree(steps: readonly TimelineStep[]): TreeNode[] {
  const nodes = new Map<string, TreeNode>();
  for (const step of steps) nodes.set(`${step.traceId}/${step.spanId}`, { ...step, children: [] });
  const roots: TreeNode[] = [];
  for (const node of nodes.values()) {
    const parent = node.parentSpanId === null ? undefined : nodes.get(`${node.traceId}/${node.parentSpanId}`);
    // depth 0 marks a step whose parent chain leaves the session (or loops): it is a root.
    if (parent && node.depth > 0) parent.children.push(node);
    else roots.push(node);
  }
  return roots;
}
