// Inline SVG bar charts: horizontal (categories) and vertical (days), with
// optional stacking. Each chart has a text alternative (a table follows it).

import { svg } from './dom.js';

/**
 * @typedef {{ label: string, values: number[] }} Row
 * @typedef {{ series: string[], rows: Row[], format: (n: number) => string, title: string, width?: number }} ChartOptions
 */

const SERIES_CLASSES = ['s0', 's1', 's2', 's3', 's4'];

// Charts are drawn at the width they are shown at (one SVG unit = one CSS
// pixel), so their text stays readable on a phone instead of shrinking.

/** Horizontal bars, one per row, stacked by series. @param {ChartOptions} options */
export function horizontalBars({ series, rows, format, title, width = 640 }) {
  const barHeight = 22;
  const gap = 10;
  const labelWidth = Math.min(220, Math.round(width * 0.4));
  const valueWidth = 80;
  const plot = width - labelWidth - valueWidth;
  const max = Math.max(...rows.map((r) => sum(r.values)), 0);
  const height = rows.length * (barHeight + gap) + gap;
  return svg(
    'svg',
    { viewBox: `0 0 ${width} ${height}`, class: 'chart', role: 'img', 'aria-label': title, preserveAspectRatio: 'xMinYMin meet' },
    svg('title', {}, title),
    rows.map((row, i) => {
      const y = gap + i * (barHeight + gap);
      let x = labelWidth;
      const segments = row.values.map((value, s) => {
        const w = max > 0 ? (value / max) * plot : 0;
        const rect = svg('rect', { x, y, width: Math.max(w, 0), height: barHeight, rx: 3, class: `bar ${SERIES_CLASSES[s % SERIES_CLASSES.length]}` }, svg('title', {}, `${row.label} · ${series[s]}: ${format(value)}`));
        x += w;
        return rect;
      });
      return svg(
        'g',
        {},
        svg(
          'g',
          {},
          svg('title', {}, row.label),
          svg('text', { x: labelWidth - 8, y: y + barHeight / 2, class: 'chart-label', 'text-anchor': 'end', 'dominant-baseline': 'middle' }, truncateMiddle(row.label, Math.floor((labelWidth - 8) / 8))),
        ),
        segments,
        svg('text', { x: x + 6, y: y + barHeight / 2, class: 'chart-value', 'dominant-baseline': 'middle' }, format(sum(row.values))),
      );
    }),
  );
}

/** Vertical bars, one per row (e.g. a day), stacked by series. @param {ChartOptions} options */
export function verticalBars({ series, rows, format, title, width = 640 }) {
  const height = 220;
  const left = 84;
  const bottom = 28;
  const top = 10;
  const plotW = width - left - 8;
  const plotH = height - bottom - top;
  const max = Math.max(...rows.map((r) => sum(r.values)), 0);
  const slot = rows.length > 0 ? plotW / rows.length : plotW;
  const barW = Math.max(Math.min(slot * 0.7, 48), 2);
  // Labels keep the year (YYYY-MM-DD, about 70 px): days of two years must not read as one.
  const labelEvery = Math.max(1, Math.ceil(rows.length / Math.max(2, Math.floor((width - left) / 80))));
  const gridLines = [0, 0.5, 1].map((f) => {
    const y = top + plotH - f * plotH;
    return svg('g', {}, svg('line', { x1: left, x2: width - 8, y1: y, y2: y, class: 'grid' }), svg('text', { x: left - 6, y, class: 'chart-axis', 'text-anchor': 'end', 'dominant-baseline': 'middle' }, format(max * f)));
  });
  return svg(
    'svg',
    { viewBox: `0 0 ${width} ${height}`, class: 'chart', role: 'img', 'aria-label': title },
    svg('title', {}, title),
    gridLines,
    rows.map((row, i) => {
      const x = left + i * slot + (slot - barW) / 2;
      let y = top + plotH;
      const segments = row.values.map((value, s) => {
        const hgt = max > 0 ? (value / max) * plotH : 0;
        y -= hgt;
        return svg('rect', { x, y, width: barW, height: Math.max(hgt, 0), class: `bar ${SERIES_CLASSES[s % SERIES_CLASSES.length]}` }, svg('title', {}, `${row.label} · ${series[s]}: ${format(value)}`));
      });
      return svg(
        'g',
        {},
        segments,
        i % labelEvery === 0 ? svg('text', { x: x + barW / 2, y: height - 8, class: 'chart-axis', 'text-anchor': 'middle' }, row.label) : null,
      );
    }),
  );
}

/** @param {number[]} values */
function sum(values) {
  return values.reduce((a, b) => a + b, 0);
}

/**
 * Cut from the middle, so names that share a prefix (claude-sonnet-4-5-20250929 and
 * claude-sonnet-4-20250514) stay distinguishable by their ends.
 * @param {string} text @param {number} length
 */
export function truncateMiddle(text, length) {
  if (text.length <= length) return text;
  const keep = Math.max(length - 1, 2);
  const head = Math.ceil(keep / 2);
  return `${text.slice(0, head)}…${text.slice(text.length - (keep - head))}`;
}
