// The waterfall's data, without the DOM: tree order, one group per trace
// (turn), hints about suspicious timing or missing parents, and the filter.

/**
 * @typedef {import('./waterfall.js').Step} Step
 * @typedef {{ step: Step, depth: number, childCount: number, hints: string[] }} Row
 * @typedef {{ traceId: string, rows: Row[], startNs: bigint, endNs: bigint, gapMillis: number | null }} Group
 */

/** @param {Step} a @param {Step} b */
function byStart(a, b) {
  const d = BigInt(a.startTimeUnixNano) - BigInt(b.startTimeUnixNano);
  return d < 0n ? -1 : d > 0n ? 1 : 0;
}

/**
 * Orders steps as a tree: roots (steps whose parent is not in the session) by
 * start time, each followed by its descendants. Returns `[step, depth]` pairs.
 * @param {Iterable<Step>} steps
 * @returns {[Step, number][]}
 */
export function treeOrder(steps) {
  const all = [...steps].sort(byStart);
  const ids = new Set(all.map((s) => s.spanId));
  /** @type {Map<string, Step[]>} */
  const children = new Map();
  const roots = [];
  for (const step of all) {
    const parent = step.parentSpanId;
    if (parent !== null && parent !== step.spanId && ids.has(parent)) {
      const list = children.get(parent) ?? [];
      list.push(step);
      children.set(parent, list);
    } else roots.push(step);
  }
  /** @type {[Step, number][]} */
  const out = [];
  const seen = new Set();
  /** @param {Step} step @param {number} depth */
  const visit = (step, depth) => {
    if (seen.has(step.spanId)) return;
    seen.add(step.spanId);
    out.push([step, depth]);
    for (const child of children.get(step.spanId) ?? []) visit(child, depth + 1);
  };
  for (const root of roots) visit(root, 0);
  // A parent cycle (malformed data) leaves steps unvisited: show them as roots rather than lose them.
  for (const step of all) visit(step, 0);
  return out;
}

/**
 * Why a row looks wrong: its parent never arrived, or it starts before its
 * parent or ends after it (clocks of two processes disagree).
 * @param {Step} step @param {Map<string, Step>} byId
 * @returns {string[]}
 */
export function hintsOf(step, byId) {
  if (step.parentSpanId === null || step.parentSpanId === step.spanId) return [];
  const parent = byId.get(step.parentSpanId);
  if (!parent) return ['missing-parent'];
  const hints = [];
  if (BigInt(step.startTimeUnixNano) < BigInt(parent.startTimeUnixNano)) hints.push('starts-before-parent');
  if (step.endTimeUnixNano !== null && parent.endTimeUnixNano !== null && BigInt(step.endTimeUnixNano) > BigInt(parent.endTimeUnixNano)) hints.push('ends-after-parent');
  return hints;
}

export const HINT_TEXT = /** @type {Record<string, string>} */ ({
  'missing-parent': 'missing parent',
  'starts-before-parent': 'clock skew: starts before its parent',
  'ends-after-parent': 'clock skew: ends after its parent',
});

/**
 * One group per trace, in order of first start, each with its own time span
 * and the idle time since the previous group ended.
 * @param {Iterable<Step>} steps @param {bigint} nowNs end of steps still open
 * @returns {Group[]}
 */
export function groupByTrace(steps, nowNs) {
  const all = [...steps];
  const byId = new Map(all.map((s) => [s.spanId, s]));
  /** @type {Map<string, Step[]>} */
  const byTrace = new Map();
  for (const step of all) {
    const list = byTrace.get(step.traceId) ?? [];
    list.push(step);
    byTrace.set(step.traceId, list);
  }
  const groups = [...byTrace.entries()].map(([traceId, list]) => {
    const ordered = treeOrder(list);
    /** @type {Map<string, number>} */
    const childCount = new Map();
    for (const s of list) if (s.parentSpanId !== null && byId.has(s.parentSpanId)) childCount.set(s.parentSpanId, (childCount.get(s.parentSpanId) ?? 0) + 1);
    let startNs = BigInt(ordered[0][0].startTimeUnixNano);
    let endNs = startNs;
    for (const s of list) {
      const start = BigInt(s.startTimeUnixNano);
      const end = s.endTimeUnixNano === null ? (s.open && !s.interrupted ? nowNs : start) : BigInt(s.endTimeUnixNano);
      if (start < startNs) startNs = start;
      if (end > endNs) endNs = end;
    }
    const rows = ordered.map(([step, depth]) => ({ step, depth, childCount: childCount.get(step.spanId) ?? 0, hints: hintsOf(step, byId) }));
    return { traceId, rows, startNs, endNs, gapMillis: /** @type {number | null} */ (null) };
  });
  groups.sort((a, b) => (a.startNs < b.startNs ? -1 : a.startNs > b.startNs ? 1 : 0));
  let previousEnd = /** @type {bigint | null} */ (null);
  for (const group of groups) {
    if (previousEnd !== null) group.gapMillis = Number(group.startNs - previousEnd) / 1e6;
    if (previousEnd === null || group.endNs > previousEnd) previousEnd = group.endNs;
  }
  return groups;
}

/**
 * A filter typed in the session: words match the name, model, tool, previews
 * or error message (all words must match); `type:tool` matches a step type,
 * `is:error` failed steps. Returns null for an empty filter.
 * @param {string} text
 * @returns {((step: Step) => boolean) | null}
 */
export function stepFilter(text) {
  const terms = text.toLowerCase().split(/\s+/).filter(Boolean);
  if (terms.length === 0) return null;
  return (step) =>
    terms.every((term) => {
      if (term.startsWith('type:')) return step.stepType === term.slice(5);
      if (term === 'is:error') return step.isError;
      if (term === 'is:running') return step.open && !step.interrupted;
      if (term === 'is:interrupted') return step.interrupted;
      const haystack = [step.name, step.stepType, step.model, step.toolName, step.statusMessage, step.inputPreview, step.outputPreview, step.reasoningPreview, step.spanId]
        .filter((v) => typeof v === 'string')
        .join('\n')
        .toLowerCase();
      return haystack.includes(term);
    });
}

/**
 * Which rows to draw: descendants of collapsed rows are left out; with a
 * filter, only matches and their ancestors (as context).
 * @param {Row[]} rows @param {Set<string>} collapsed @param {((step: Step) => boolean) | null} filter
 * @returns {{ row: Row, match: boolean }[]}
 */
export function visibleRows(rows, collapsed, filter) {
  if (filter) {
    const byId = new Map(rows.map((r) => [r.step.spanId, r.step]));
    const keep = new Set();
    const matches = new Set();
    for (const { step } of rows) {
      if (!filter(step)) continue;
      matches.add(step.spanId);
      for (let s = /** @type {Step | undefined} */ (step); s && !keep.has(s.spanId); s = s.parentSpanId === null ? undefined : byId.get(s.parentSpanId)) keep.add(s.spanId);
    }
    return rows.filter((r) => keep.has(r.step.spanId)).map((row) => ({ row, match: matches.has(row.step.spanId) }));
  }
  const out = [];
  let hideBelow = Infinity;
  for (const row of rows) {
    if (row.depth > hideBelow) continue;
    hideBelow = Infinity;
    out.push({ row, match: false });
    if (collapsed.has(row.step.spanId) && row.childCount > 0) hideBelow = row.depth;
  }
  return out;
}
