// Numbers, times and durations as people read them. Times arrive as decimal
// nanosecond strings (they exceed 2^53); only differences become numbers.

const integer = new Intl.NumberFormat('en-US');
const compact = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 });

/** @param {number | null | undefined} n */
export function formatInt(n) {
  return n === null || n === undefined ? '–' : integer.format(n);
}

/** @param {number | null | undefined} n */
export function formatCompact(n) {
  return n === null || n === undefined ? '–' : n < 10_000 ? integer.format(n) : compact.format(n);
}

/** USD with enough digits to see small per-call costs. @param {number | null | undefined} usd */
export function formatUsd(usd) {
  if (usd === null || usd === undefined) return '–';
  if (usd === 0) return '$0';
  const abs = Math.abs(usd);
  const digits = abs >= 100 ? 0 : abs >= 1 ? 2 : abs >= 0.01 ? 4 : 6;
  return `$${usd.toFixed(digits)}`;
}

const usdSignificant = new Intl.NumberFormat('en-US', { minimumSignificantDigits: 3, maximumSignificantDigits: 3 });
const usdWhole = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/**
 * USD with three significant digits ($0.0104, $0.350, $12.3; whole dollars from $1,000), so a column of costs
 * reads alike whatever their size. @param {number | null | undefined} usd
 */
export function formatUsdSignificant(usd) {
  if (usd === null || usd === undefined) return '–';
  if (usd === 0) return '$0';
  return `${usd < 0 ? '-' : ''}$${Math.abs(usd) >= 1000 ? usdWhole.format(Math.abs(usd)) : usdSignificant.format(Math.abs(usd))}`;
}

/** Nanoseconds (string, bigint or number) → milliseconds as a number. @param {string | bigint | number | null | undefined} ns */
export function nanosToMillis(ns) {
  if (ns === null || ns === undefined) return null;
  if (typeof ns === 'number') return ns / 1e6;
  const big = BigInt(ns);
  return Number(big / 1000n) / 1000;
}

/** Milliseconds between two nanosecond timestamps. @param {string} fromNs @param {string} toNs */
export function millisBetween(fromNs, toNs) {
  return Number(BigInt(toNs) - BigInt(fromNs)) / 1e6;
}

/** @param {string | null | undefined} ns @returns {Date | null} */
export function nanosToDate(ns) {
  return ns === null || ns === undefined ? null : new Date(Number(BigInt(ns) / 1_000_000n));
}

/** @param {number | null | undefined} ms */
export function formatDuration(ms) {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return '–';
  if (ms < 1) return `${Math.round(ms * 1000)} µs`;
  if (ms < 1000) return `${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s < 10 ? s.toFixed(2) : s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} m ${Math.round(s - m * 60)} s`;
  const hours = Math.floor(m / 60);
  return `${hours} h ${m - hours * 60} m`;
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
const timeOnly = new Intl.DateTimeFormat(undefined, { timeStyle: 'medium' });

/** @param {string | null | undefined} ns */
export function formatTime(ns) {
  const date = nanosToDate(ns);
  return date === null ? '–' : dateTime.format(date);
}

/** Clock time for today, date and time otherwise. @param {string | null | undefined} ns */
export function formatWhen(ns) {
  const date = nanosToDate(ns);
  if (date === null) return '–';
  return date.toDateString() === new Date().toDateString() ? timeOnly.format(date) : dateTime.format(date);
}

/** "3 min ago". @param {string | null | undefined} ns */
export function formatAgo(ns) {
  const date = nanosToDate(ns);
  if (date === null) return '';
  const seconds = Math.round((Date.now() - date.getTime()) / 1000);
  if (seconds < 5) return 'just now';
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ago`;
  return `${Math.floor(seconds / 86400)} d ago`;
}

/** @param {{ input?: number, output?: number, reasoning?: number, cacheRead?: number, cacheWrite?: number } | null | undefined} tokens */
export function totalTokens(tokens) {
  if (!tokens) return 0;
  // Input includes cache reads and writes, output includes reasoning (GenAI conventions): input + output is the total.
  return (tokens.input ?? 0) + (tokens.output ?? 0);
}

export const TOKEN_KINDS = /** @type {const} */ ([
  ['input', 'Input'],
  ['output', 'Output'],
  ['reasoning', 'Reasoning'],
  ['cacheRead', 'Cache read'],
  ['cacheWrite', 'Cache write'],
]);

/** @param {string} id @param {number} [length] */
export function shortId(id, length = 12) {
  return id.length > length ? `${id.slice(0, length - 1)}…` : id;
}

/** Text on one line (runs of white space as one space), cut to `max` characters with an ellipsis. @param {string} text @param {number} max */
export function clipText(text, max) {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
