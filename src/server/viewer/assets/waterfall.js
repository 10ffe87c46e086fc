// The waterfall: one row per step, in tree order (children under their
// parent, siblings by start), a bar on a shared time axis per step.

import { h, replace } from './dom.js';
import { formatDuration } from './format.js';
import { stepTypeLabel } from './widgets.js';

/**
 * @typedef {{
 *   spanId: string, traceId: string, parentSpanId: string | null, name: string, stepType: string,
 *   startTimeUnixNano: string, endTimeUnixNano: string | null, isError: boolean, open: boolean,
 *   interrupted: boolean, model: string | null, toolName: string | null, statusMessage?: string,
 *   inputPreview?: string | null, outputPreview?: string | null, reasoningPreview?: string | null,
 * }} Step
 */

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

/** @param {Step} a @param {Step} b */
function byStart(a, b) {
  const d = BigInt(a.startTimeUnixNano) - BigInt(b.startTimeUnixNano);
  return d < 0n ? -1 : d > 0n ? 1 : 0;
}

/** Round tick spacing for a span of `totalMillis`. @param {number} totalMillis */
function tickStep(totalMillis) {
  const rough = totalMillis / 5;
  const magnitude = 10 ** Math.floor(Math.log10(Math.max(rough, 1e-6)));
  for (const m of [1, 2, 5, 10]) if (m * magnitude >= rough) return m * magnitude;
  return 10 * magnitude;
}

/**
 * @param {HTMLElement} container
 * @param {{
 *   steps: Iterable<Step>,
 *   startNs: string,
 *   nowNs: string,
 *   selectedSpanId: string | null,
 *   hrefFor: (step: Step) => string,
 * }} options
 */
export function renderWaterfall(container, { steps, startNs, nowNs, selectedSpanId, hrefFor }) {
  const ordered = treeOrder(steps);
  const t0 = BigInt(startNs);
  let t1 = BigInt(nowNs);
  for (const [step] of ordered) {
    const end = step.endTimeUnixNano === null ? null : BigInt(step.endTimeUnixNano);
    if (end !== null && end > t1) t1 = end;
    if (BigInt(step.startTimeUnixNano) > t1) t1 = BigInt(step.startTimeUnixNano);
  }
  const totalMillis = Math.max(Number(t1 - t0) / 1e6, 0.001);
  const pct = (/** @type {bigint} */ ns) => Math.min(100, Math.max(0, (Number(ns - t0) / 1e6 / totalMillis) * 100));

  const step = tickStep(totalMillis);
  const ticks = [];
  for (let t = 0; t <= totalMillis + 1e-9 && ticks.length < 12; t += step) {
    ticks.push(h('span', { class: 'tick', style: { left: `${(t / totalMillis) * 100}%` } }, t === 0 ? '0' : formatDuration(t)));
  }

  const rows = ordered.map(([s, depth]) => {
    const start = BigInt(s.startTimeUnixNano);
    const end = s.endTimeUnixNano === null ? t1 : BigInt(s.endTimeUnixNano);
    const left = pct(start);
    const width = Math.max(pct(end) - left, 0);
    const durationMillis = Number(end - start) / 1e6;
    const state = s.interrupted ? 'interrupted' : s.open ? 'running' : s.isError ? 'error' : null;
    const detail = s.model ?? s.toolName;
    const preview = s.reasoningPreview ?? s.outputPreview ?? s.inputPreview ?? null;
    const selected = s.spanId === selectedSpanId;
    const classes = ['wf-row', `type-${s.stepType}`, s.isError ? 'is-error' : '', s.open && !s.interrupted ? 'is-open' : '', s.interrupted ? 'is-interrupted' : '', selected ? 'is-selected' : ''];
    return h(
      'li',
      { class: classes.filter(Boolean).join(' '), dataset: { spanId: s.spanId, stepType: s.stepType } },
      h(
        'a',
        {
          class: 'wf-link',
          href: hrefFor(s),
          'aria-current': selected ? 'true' : false,
          title: preview ?? s.name,
        },
        h(
          'span',
          { class: 'wf-name', style: { '--depth': String(Math.min(depth, 12)) } },
          h('span', { class: 'wf-icon', 'aria-hidden': 'true' }),
          h('span', { class: 'sr-only' }, `${stepTypeLabel(s.stepType)}: `),
          h('span', { class: 'wf-label' }, s.name, detail && !s.name.includes(detail) ? h('span', { class: 'muted' }, ` · ${detail}`) : null),
          state ? h('span', { class: `wf-state state-${state}` }, state === 'error' ? '! error' : state === 'running' ? 'running' : '⚠ interrupted') : null,
          h('span', { class: 'wf-dur' }, s.open && !s.interrupted ? `${formatDuration(durationMillis)}…` : formatDuration(durationMillis)),
          s.stepType === 'reasoning' && s.reasoningPreview ? h('span', { class: 'wf-preview' }, s.reasoningPreview) : null,
        ),
        h(
          'span',
          { class: 'wf-track', 'aria-hidden': 'true' },
          h('span', { class: 'wf-bar', style: { left: `${left}%`, width: `${width}%` } }),
        ),
      ),
    );
  });

  replace(
    container,
    h('div', { class: 'wf-axis', 'aria-hidden': 'true' }, h('span', { class: 'wf-axis-name' }), h('span', { class: 'wf-axis-track' }, ticks)),
    h('ol', { class: 'waterfall', 'aria-label': `${rows.length} steps` }, rows),
  );
}

/** Arrow keys move between rows. @param {HTMLElement} container */
export function enableWaterfallKeys(container) {
  container.addEventListener('keydown', (event) => {
    if (!['ArrowDown', 'ArrowUp', 'Home', 'End'].includes(event.key)) return;
    const links = /** @type {HTMLAnchorElement[]} */ ([...container.querySelectorAll('.wf-link')]);
    const index = links.indexOf(/** @type {HTMLAnchorElement} */ (document.activeElement));
    if (index < 0 || links.length === 0) return;
    event.preventDefault();
    const next = event.key === 'Home' ? 0 : event.key === 'End' ? links.length - 1 : index + (event.key === 'ArrowDown' ? 1 : -1);
    links[Math.max(0, Math.min(links.length - 1, next))].focus();
  });
}
