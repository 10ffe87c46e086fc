// The waterfall: one row per step, in tree order (children under their
// parent, siblings by start), a bar per step. A session of several traces (one
// per turn) gets one group per trace, each on its own time axis, with the idle
// time between turns said in words instead of drawn as empty axis.

import { h, morph } from './dom.js';
import { formatDuration, formatWhen, shortId } from './format.js';
import { HINT_TEXT, groupByTrace, stepFilter, visibleRows } from './waterfall-tree.js';
import { stepTypeLabel } from './widgets.js';

/**
 * @typedef {{
 *   spanId: string, traceId: string, parentSpanId: string | null, name: string, stepType: string,
 *   startTimeUnixNano: string, endTimeUnixNano: string | null, isError: boolean, open: boolean,
 *   interrupted: boolean, model: string | null, toolName: string | null, statusMessage?: string,
 *   inputPreview?: string | null, outputPreview?: string | null, reasoningPreview?: string | null,
 * }} Step
 */

export { treeOrder } from './waterfall-tree.js';

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
 *   nowNs: string,
 *   selectedSpanId: string | null,
 *   hrefFor: (step: Step) => string,
 *   collapsed: Set<string>,
 *   filterText: string,
 *   onToggle: (spanId: string) => void,
 *   onDownloadTrace: (traceId: string) => void,
 * }} options
 * @returns {{ total: number, matches: number | null, traces: string[] }}
 */
export function renderWaterfall(container, { steps, nowNs, selectedSpanId, hrefFor, collapsed, filterText, onToggle, onDownloadTrace }) {
  delegateClicks(container, { onToggle, onDownloadTrace });
  const groups = groupByTrace(steps, BigInt(nowNs));
  const filter = stepFilter(filterText);
  const several = groups.length > 1;
  let total = 0;
  let matches = 0;
  const parts = [];
  groups.forEach((group, index) => {
    total += group.rows.length;
    const shown = visibleRows(group.rows, collapsed, filter);
    matches += shown.filter((r) => r.match).length;
    if (filter && shown.length === 0) return;
    if (several && group.gapMillis !== null && parts.length > 0) {
      parts.push(h('p', { class: 'wf-gap' }, group.gapMillis > 0 ? `+${formatDuration(group.gapMillis)} idle` : 'overlaps the previous turn'));
    }
    const totalMillis = Math.max(Number(group.endNs - group.startNs) / 1e6, 0.001);
    const pct = (/** @type {bigint} */ ns) => Math.min(100, Math.max(0, (Number(ns - group.startNs) / 1e6 / totalMillis) * 100));
    const step = tickStep(totalMillis);
    const ticks = [];
    for (let t = 0; t <= totalMillis + 1e-9 && ticks.length < 12; t += step) {
      ticks.push(h('span', { class: 'tick', style: { left: `${(t / totalMillis) * 100}%` } }, t === 0 ? '0' : formatDuration(t)));
    }
    const rows = shown.map(({ row, match }) => renderRow(row, { pct, endNs: group.endNs, selectedSpanId, hrefFor, collapsed, filtering: filter !== null, match }));
    const titleId = `turn-${group.traceId}`;
    parts.push(
      h(
        'section',
        { class: 'wf-group', dataset: { traceId: group.traceId }, 'aria-labelledby': several ? titleId : false },
        several
          ? h(
              'div',
              { class: 'wf-turn-head' },
              h('h3', { id: titleId }, `Turn ${index + 1}`),
              h('span', { class: 'muted' }, `${formatWhen(String(group.startNs))} · ${formatDuration(Number(group.endNs - group.startNs) / 1e6)} · ${group.rows.length} steps`),
              h('code', { class: 'muted wf-trace-id', title: group.traceId }, shortId(group.traceId, 13)),
              h('button', { type: 'button', class: 'btn btn-small', dataset: { downloadTrace: group.traceId }, 'aria-label': `Download turn ${index + 1} as OTLP JSON` }, 'OTLP JSON'),
            )
          : null,
        h('div', { class: 'wf-axis', 'aria-hidden': 'true' }, h('span', { class: 'wf-axis-name' }), h('span', { class: 'wf-axis-track' }, ticks)),
        h('ol', { class: 'waterfall', 'aria-label': `${rows.length} steps` }, rows),
      ),
    );
  });
  if (filter && matches === 0) parts.push(h('p', { class: 'muted wf-empty' }, `No step matches “${filterText.trim()}”.`));
  // Kept rows stay under the pointer, the focus and the tests' handles while the session loads and runs.
  morph(container, ...parts);
  return { total, matches: filter ? matches : null, traces: groups.map((g) => g.traceId) };
}

/** @type {WeakMap<HTMLElement, { onToggle: (spanId: string) => void, onDownloadTrace: (traceId: string) => void }>} */
const clickHandlers = new WeakMap();

/**
 * The rows' buttons are handled here, on the container, with the newest
 * render's handlers: morph() keeps the buttons of earlier renders.
 * @param {HTMLElement} container @param {{ onToggle: (spanId: string) => void, onDownloadTrace: (traceId: string) => void }} handlers
 */
function delegateClicks(container, handlers) {
  if (!clickHandlers.has(container)) {
    container.addEventListener('click', (event) => {
      const button = /** @type {Element} */ (event.target).closest('button[data-toggle], button[data-download-trace]');
      const current = clickHandlers.get(container);
      if (!(button instanceof HTMLElement) || !current) return;
      if (button.dataset.toggle) current.onToggle(button.dataset.toggle);
      else if (button.dataset.downloadTrace) current.onDownloadTrace(button.dataset.downloadTrace);
    });
  }
  clickHandlers.set(container, handlers);
}

/**
 * @param {import('./waterfall-tree.js').Row} row
 * @param {{ pct: (ns: bigint) => number, endNs: bigint, selectedSpanId: string | null, hrefFor: (step: Step) => string,
 *   collapsed: Set<string>, filtering: boolean, match: boolean }} o
 */
function renderRow({ step: s, depth, childCount, hints }, o) {
  const start = BigInt(s.startTimeUnixNano);
  const end = s.endTimeUnixNano === null ? o.endNs : BigInt(s.endTimeUnixNano);
  const left = o.pct(start);
  const width = Math.max(o.pct(end) - left, 0);
  const durationMillis = Number(end - start) / 1e6;
  const state = s.interrupted ? 'interrupted' : s.open ? 'running' : s.isError ? 'error' : null;
  const detail = s.model ?? s.toolName;
  const preview = s.reasoningPreview ?? s.outputPreview ?? s.inputPreview ?? null;
  const selected = s.spanId === o.selectedSpanId;
  const isCollapsed = !o.filtering && childCount > 0 && o.collapsed.has(s.spanId);
  const classes = [
    'wf-row',
    `type-${s.stepType}`,
    s.isError ? 'is-error' : '',
    s.open && !s.interrupted ? 'is-open' : '',
    s.interrupted ? 'is-interrupted' : '',
    selected ? 'is-selected' : '',
    o.filtering ? (o.match ? 'is-match' : 'is-context') : '',
    isCollapsed ? 'is-collapsed' : '',
  ];
  const depthVar = { '--depth': String(Math.min(depth, 12)) };
  return h(
    'li',
    { class: classes.filter(Boolean).join(' '), dataset: { spanId: s.spanId, stepType: s.stepType } },
    childCount > 0 && !o.filtering
      ? h(
          'button',
          {
            type: 'button',
            class: 'wf-toggle',
            style: depthVar,
            'aria-expanded': isCollapsed ? 'false' : 'true',
            'aria-label': `${isCollapsed ? 'Expand' : 'Collapse'} ${s.name} (${childCount} child steps)`,
            dataset: { toggle: s.spanId },
          },
          isCollapsed ? '▸' : '▾',
        )
      : null,
    h(
      'a',
      { class: 'wf-link', href: o.hrefFor(s), 'aria-current': selected ? 'true' : false, title: preview ?? s.name },
      h(
        'span',
        { class: 'wf-name', style: depthVar },
        h('span', { class: 'wf-icon', 'aria-hidden': 'true' }),
        h('span', { class: 'sr-only' }, `${stepTypeLabel(s.stepType)}: `),
        h('span', { class: 'wf-label' }, s.name, detail && !s.name.includes(detail) ? h('span', { class: 'muted' }, ` · ${detail}`) : null),
        isCollapsed ? h('span', { class: 'wf-hidden-count' }, `+${childCount}`) : null,
        state ? h('span', { class: `wf-state state-${state}` }, state === 'error' ? '! error' : state === 'running' ? 'running' : '⚠ interrupted') : null,
        hints.map((hint) => h('span', { class: `wf-hint hint-${hint}`, title: HINT_TEXT[hint] }, hint === 'missing-parent' ? 'missing parent' : 'clock skew')),
        h('span', { class: 'wf-dur' }, s.open && !s.interrupted ? `${formatDuration(durationMillis)}…` : formatDuration(durationMillis)),
        s.stepType === 'reasoning' && s.reasoningPreview ? h('span', { class: 'wf-preview' }, s.reasoningPreview) : null,
      ),
      h('span', { class: 'wf-track', 'aria-hidden': 'true' }, h('span', { class: 'wf-bar', style: { left: `${left}%`, width: `${width}%` } })),
    ),
  );
}

/**
 * Keys, as in Jaeger: with a step open, ↑/↓ move the selection (and so the
 * detail); without one, they move the focus between rows. Home/End go to the
 * first/last row. Returns a function that removes the listener.
 * @param {HTMLElement} container
 * @param {{ selected: () => string | null, select: (spanId: string) => void }} options
 */
export function enableWaterfallKeys(container, { selected, select }) {
  /** @param {Event} e */
  const onKey = (e) => {
    const event = /** @type {any} */ (e);
    if (!['ArrowDown', 'ArrowUp', 'Home', 'End'].includes(event.key) || event.altKey || event.ctrlKey || event.metaKey) return;
    const target = /** @type {Element | null} */ (event.target);
    if (target && target.closest('input, textarea, select, [contenteditable], dialog')) return;
    if (!container.isConnected || container.closest('[hidden]')) return;
    const links = /** @type {HTMLAnchorElement[]} */ ([...container.querySelectorAll('.wf-link')]);
    if (links.length === 0) return;
    const current = selected();
    const focusIndex = links.indexOf(/** @type {HTMLAnchorElement} */ (document.activeElement));
    const selectedIndex = current === null ? -1 : links.findIndex((l) => l.closest('.wf-row')?.getAttribute('data-span-id') === current);
    const index = selectedIndex >= 0 ? selectedIndex : focusIndex;
    if (index < 0) return;
    event.preventDefault();
    const next = Math.max(0, Math.min(links.length - 1, event.key === 'Home' ? 0 : event.key === 'End' ? links.length - 1 : index + (event.key === 'ArrowDown' ? 1 : -1)));
    const link = links[next];
    link.focus({ preventScroll: false });
    link.scrollIntoView({ block: 'nearest' });
    const spanId = link.closest('.wf-row')?.getAttribute('data-span-id');
    if (current !== null && spanId) select(spanId);
  };
  document.addEventListener('keydown', onKey);
  return () => document.removeEventListener('keydown', onKey);
}
