// OTLP log events (Claude Code's cost and prompts, the GenAI instrumentations'
// messages) as the step panel and the session's Events tab show them: time,
// severity, event name, body and attributes. Every value is untrusted text.

import { h } from './dom.js';
import { clipText, formatDuration, formatTime, millisBetween, nanosToDate } from './format.js';
import { pretty } from './messages.js';

/** OTLP SeverityNumber ranges: 1-4 trace, 5-8 debug, 9-12 info, 13-16 warn, 17-20 error, 21-24 fatal. */
export const SEVERITY_LEVELS = /** @type {const} */ ([
  [1, 'trace'],
  [5, 'debug'],
  [9, 'info'],
  [13, 'warn'],
  [17, 'error'],
  [21, 'fatal'],
]);

/** A body longer than this (characters or lines) starts collapsed. */
const LONG_BODY_CHARS = 600;
const LONG_BODY_LINES = 12;
const PREVIEW_CHARS = 140;

/**
 * @typedef {{
 *   id: number, sessionId: string | null, traceId: string | null, spanId: string | null,
 *   timeUnixNano: string, observedTimeUnixNano: string, severityNumber: number, severityText: string,
 *   eventName: string, body: unknown, attributes: Record<string, unknown>,
 *   resource: Record<string, unknown>, scope: { name: string, version: string },
 * }} LogRecord  the API's LogRecordJson (src/model/log-view.ts)
 */

/** The level of a SeverityNumber ('' for 0, unspecified). @param {number} n */
export function severityLevel(n) {
  let level = '';
  for (const [from, name] of SEVERITY_LEVELS) if (n >= from) level = name;
  return level;
}

/**
 * What the badge says, as `skein logs` says it (src/query/log-severity.ts): the level of the number
 * (`WARN`, `ERROR2`), else the sender's own text, else nothing.
 * @param {number} n @param {string} text
 */
export function severityLabel(n, text) {
  if (n >= 1 && n <= 24) {
    const step = (n - 1) % 4;
    return `${severityLevel(n).toUpperCase()}${step === 0 ? '' : step + 1}`;
  }
  return text;
}

/** When it happened: its time, else when it was observed (OTLP allows either to be 0). @param {LogRecord} log */
export function logTimeNs(log) {
  return log.timeUnixNano && log.timeUnixNano !== '0' ? log.timeUnixNano : log.observedTimeUnixNano;
}

/** Time order, then id: the order the API lists them in. @param {LogRecord} a @param {LogRecord} b */
export function compareLogs(a, b) {
  const ta = BigInt(logTimeNs(a) || '0');
  const tb = BigInt(logTimeNs(b) || '0');
  if (ta !== tb) return ta < tb ? -1 : 1;
  return Number(a.id) - Number(b.id);
}

/** @param {LogRecord} log */
export function severityBadge(log) {
  const n = log.severityNumber ?? 0;
  const label = severityLabel(n, log.severityText ?? '');
  if (!label) return null;
  const level = severityLevel(n) || 'unset';
  const title = `Severity ${n}${log.severityText && log.severityText !== label ? ` (${log.severityText})` : ''}`;
  return h('span', { class: `badge sev sev-${level}`, title }, label);
}

const clock = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', fractionalSecondDigits: 3 });

/**
 * One event as a list item.
 * @param {LogRecord} log
 * @param {{ sinceNs?: string, step?: { name: string, href: string } | null }} [options]
 *   `sinceNs`: show the time as an offset from it (the step's start); `step`: link to the step it belongs to.
 */
export function renderLogEvent(log, options = {}) {
  const ns = logTimeNs(log);
  const date = nanosToDate(ns && ns !== '0' ? ns : null);
  const when =
    date === null
      ? h('span', { class: 'muted log-time' }, 'time unknown')
      : h(
          'time',
          { class: 'log-time mono', datetime: date.toISOString(), title: formatTime(ns) },
          options.sinceNs ? `+${formatDuration(millisBetween(options.sinceNs, ns))}` : clock.format(date),
        );
  const attributes = log.attributes ?? {};
  const count = Object.keys(attributes).length;
  return h(
    'li',
    { class: 'log-event', dataset: { logId: String(log.id), eventName: log.eventName ?? '' } },
    h(
      'div',
      { class: 'log-head' },
      when,
      severityBadge(log),
      log.eventName ? h('strong', { class: 'log-name' }, log.eventName) : h('span', { class: 'muted log-name' }, 'log record'),
      options.step ? h('a', { class: 'log-step', href: options.step.href }, options.step.name) : null,
    ),
    logBody(log.body),
    count > 0 ? h('details', { class: 'log-attrs' }, h('summary', {}, `Attributes (${count})`), attributeTable(attributes)) : null,
  );
}

/** A string as text, anything else as formatted JSON; long ones collapsed under a preview. @param {unknown} body */
export function logBody(body) {
  if (body === null || body === undefined || body === '') return null;
  const isText = typeof body === 'string';
  const text = isText ? body : jsonText(body);
  const content = isText ? h('div', { class: 'log-body part-text' }, text) : h('pre', { class: 'code log-body' }, text);
  const lines = text.split('\n').length;
  if (text.length <= LONG_BODY_CHARS && lines <= LONG_BODY_LINES) return content;
  return h(
    'details',
    { class: 'log-long' },
    h('summary', {}, h('span', { class: 'log-preview' }, clipText(text, PREVIEW_CHARS)), h('span', { class: 'muted' }, ` (${text.length.toLocaleString('en-US')} characters)`)),
    content,
  );
}

/** @param {unknown} value */
function jsonText(value) {
  try {
    return JSON.stringify(value, null, 2) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Attributes as a key-above-value table, keys sorted, JSON values (also JSON in strings) formatted. @param {Record<string, unknown>} attributes */
export function attributeTable(attributes) {
  return h(
    'table',
    { class: 'mini attrs' },
    h(
      'tbody',
      {},
      Object.entries(attributes)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([key, value]) => h('tr', {}, h('th', { scope: 'row' }, key), h('td', {}, typeof value === 'string' ? value : pretty(value)))),
    ),
  );
}

/**
 * The step panel's section: the log events tied to the step, in time order.
 * @param {{ items: LogRecord[] | null, error: string | null, more: (() => void) | null, loadingMore: boolean }} logs
 *   `items` null while loading; `more` loads the rest of a long list
 * @param {string} sinceNs the step's start
 */
export function stepLogSection(logs, sinceNs) {
  const { items, error, more, loadingMore } = logs;
  const head = h('h3', {}, items === null ? 'Log events' : `Log events (${items.length}${more ? '+' : ''})`);
  let content;
  if (items === null) content = h('p', { class: 'muted' }, 'Loading log events…');
  else if (items.length === 0) content = h('p', { class: 'muted log-empty' }, 'No log events for this step.');
  else content = h('ol', { class: 'log-events' }, [...items].sort(compareLogs).map((log) => renderLogEvent(log, { sinceNs })));
  return h(
    'section',
    { class: 'content step-logs' },
    head,
    content,
    error ? h('p', { class: 'error-box', role: 'alert' }, error) : null,
    more ? h('button', { type: 'button', class: 'btn btn-small', onclick: more }, 'Load all log events') : null,
    loadingMore ? h('p', { class: 'muted', role: 'status' }, 'Loading the rest…') : null,
  );
}
