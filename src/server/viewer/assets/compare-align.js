// Aligns the steps of two sessions for the compare view: turn n of one with
// turn n of the other (a turn is a trace), and within a turn the steps in tree
// order matched by step type and name in order (the longest common
// subsequence), so an added or dropped step shows as a gap on one side instead
// of shifting every row after it.

import { groupByTrace } from './waterfall-tree.js';

/** Cells beyond this, the quadratic alignment gives way to matching the n-th step of a name with the n-th. */
const MAX_CELLS = 4_000_000;

/**
 * @typedef {Record<string, any>} Step
 * @typedef {{ a: Step | null, b: Step | null, depth: number, turn: number }} AlignedRow
 * @typedef {{ step: Step, depth: number }} Placed
 */

/** Turns in order, each a list of its steps in tree order. @param {Iterable<Step>} steps @returns {Placed[][]} */
export function turnsOf(steps) {
  const list = [...steps];
  const end = list.reduce((max, s) => {
    const t = BigInt(s.endTimeUnixNano ?? s.startTimeUnixNano);
    return t > max ? t : max;
  }, 0n);
  return groupByTrace(/** @type {any} */ (list), end).map((g) => g.rows.map((r) => ({ step: /** @type {Step} */ (r.step), depth: r.depth })));
}

/** @param {Step} s */
const keyOf = (s) => `${s.stepType}\u0000${s.name}`;

/**
 * @param {Iterable<Step>} stepsA @param {Iterable<Step>} stepsB
 * @returns {AlignedRow[]}
 */
export function alignSteps(stepsA, stepsB) {
  const turnsA = turnsOf(stepsA);
  const turnsB = turnsOf(stepsB);
  /** @type {AlignedRow[]} */
  const rows = [];
  for (let turn = 0; turn < Math.max(turnsA.length, turnsB.length); turn++) {
    for (const row of alignTurn(turnsA[turn] ?? [], turnsB[turn] ?? [])) rows.push({ ...row, turn });
  }
  return rows;
}

/** @param {Placed[]} a @param {Placed[]} b @returns {Omit<AlignedRow, 'turn'>[]} */
function alignTurn(a, b) {
  const n = a.length;
  const m = b.length;
  if ((n + 1) * (m + 1) > MAX_CELLS) return alignByOccurrence(a, b);
  const ka = a.map((x) => keyOf(x.step));
  const kb = b.map((x) => keyOf(x.step));
  // lcs[i][j]: length of the longest common subsequence of a[i..] and b[j..].
  const width = m + 1;
  const lcs = new Uint32Array((n + 1) * width);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i * width + j] = ka[i] === kb[j] ? lcs[(i + 1) * width + j + 1] + 1 : Math.max(lcs[(i + 1) * width + j], lcs[i * width + j + 1]);
    }
  }
  /** @type {Omit<AlignedRow, 'turn'>[]} */
  const rows = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && ka[i] === kb[j]) {
      rows.push({ a: a[i].step, b: b[j].step, depth: a[i].depth });
      i++;
      j++;
    } else if (j >= m || (i < n && lcs[(i + 1) * width + j] >= lcs[i * width + j + 1])) {
      rows.push({ a: a[i].step, b: null, depth: a[i].depth });
      i++;
    } else {
      rows.push({ a: null, b: b[j].step, depth: b[j].depth });
      j++;
    }
  }
  return rows;
}

/** @param {Placed[]} a @param {Placed[]} b @returns {Omit<AlignedRow, 'turn'>[]} */
function alignByOccurrence(a, b) {
  /** @type {Map<string, Placed[]>} */
  const pool = new Map();
  for (const x of b) {
    const list = pool.get(keyOf(x.step)) ?? [];
    list.push(x);
    pool.set(keyOf(x.step), list);
  }
  /** @type {Omit<AlignedRow, 'turn'>[]} */
  const rows = a.map((x) => ({ a: x.step, b: pool.get(keyOf(x.step))?.shift()?.step ?? null, depth: x.depth }));
  for (const rest of pool.values()) for (const x of rest) rows.push({ a: null, b: x.step, depth: x.depth });
  return rows;
}

/** @param {Step | null} s */
export function durationMillis(s) {
  return s === null || s.endTimeUnixNano === null ? null : Number(BigInt(s.endTimeUnixNano) - BigInt(s.startTimeUnixNano)) / 1e6;
}
