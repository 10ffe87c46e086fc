// One step: what it was, when, what it cost, what went in and came out.

import { h } from './dom.js';
import { TOKEN_KINDS, formatDuration, formatInt, formatTime, formatUsd, millisBetween } from './format.js';
import { attributeTable, stepLogSection } from './log-events.js';
import { conversationOf, pretty, reasoningBlock, renderConversation } from './messages.js';
import { facts, stepTypeBadge } from './widgets.js';

/**
 * @param {{
 *   step: import('./waterfall.js').Step & Record<string, any>,
 *   span: Record<string, any> | null,
 *   sessionStartNs: string,
 *   closeHref: string,
 *   error?: string | null,
 *   logs?: Parameters<typeof stepLogSection>[0] | null,
 * }} options `logs`: the step's log events (step-logs.js); none: no section
 */
export function renderStep({ step, span, sessionStartNs, closeHref, error = null, logs = null }) {
  const s = span ?? step;
  const end = s.endTimeUnixNano;
  const durationMillis = end === null ? null : millisBetween(s.startTimeUnixNano, end);
  const offset = millisBetween(sessionStartNs, s.startTimeUnixNano);
  const state = s.interrupted
    ? h('span', { class: 'badge badge-interrupted' }, 'interrupted')
    : end === null
      ? h('span', { class: 'badge badge-running' }, h('span', { class: 'pulse', 'aria-hidden': 'true' }), 'running')
      : s.isError
        ? h('span', { class: 'badge badge-failed' }, 'error')
        : h('span', { class: 'badge badge-completed' }, s.status === 'ok' ? 'ok' : 'done');
  const model = span ? [span.requestModel, span.responseModel].filter(Boolean) : [step.model].filter(Boolean);
  const tokens = span ? span.usage : step.tokens;
  const cost = span ? span.cost : step.costUsd === null ? null : { usd: step.costUsd, source: step.costSource };

  return h(
    'article',
    { class: 'step', 'aria-labelledby': 'step-title', dataset: { spanId: s.spanId } },
    h(
      'header',
      { class: 'step-head' },
      h('a', { class: 'btn btn-small close', href: closeHref, 'aria-label': 'Close step, back to the session' }, '← Session'),
      h('h2', { id: 'step-title', tabindex: '-1' }, s.name),
      h('div', { class: 'step-badges' }, stepTypeBadge(s.stepType), state),
    ),
    error ? h('p', { class: 'error-box', role: 'alert' }, error) : null,
    s.isError && s.statusMessage ? h('p', { class: 'error-box' }, h('strong', {}, 'Error: '), s.statusMessage) : null,
    facts([
      ['Model', model.length ? [...new Set(model)].join(' → ') : null],
      ['Provider', s.provider ?? null],
      ['Tool', s.toolName ? `${s.toolName}${span?.toolCallId ? ` (${span.toolCallId})` : ''}` : null],
      ['Started', `${formatTime(s.startTimeUnixNano)} (+${formatDuration(offset)})`],
      ['Duration', durationMillis === null ? (s.interrupted ? 'never ended' : 'running') : formatDuration(durationMillis)],
      ['Cost', cost ? `${formatUsd(cost.usd)} (${cost.source ?? 'unknown source'})` : span?.unpriced ? 'unpriced model' : null],
      ['Operation', span?.operationName ?? null],
    ]),
    tokenTable(tokens),
    span ? content(span) : h('p', { class: 'muted' }, error ? '' : 'Loading details…'),
    span && span.events.length > 0 ? eventsSection(span) : null,
    logs ? stepLogSection(logs, s.startTimeUnixNano) : null,
    span ? attributesSection('Attributes', span.attributes, true) : null,
    span
      ? h(
          'details',
          { class: 'more' },
          h('summary', {}, 'Identity, resource and scope'),
          facts([
            ['Span id', h('code', {}, span.spanId)],
            ['Parent', span.parentSpanId ? h('code', {}, span.parentSpanId) : 'none (root)'],
            ['Trace id', h('code', {}, span.traceId)],
            ['Kind', String(span.kind)],
            ['Scope', `${span.scope.name}${span.scope.version ? ` ${span.scope.version}` : ''}`],
          ]),
          attributesSection('Resource', span.resource, false),
          span.links.length > 0 ? h('pre', { class: 'code' }, pretty(span.links)) : null,
        )
      : null,
  );
}

/** @param {Record<string, number | undefined> | null | undefined} tokens */
function tokenTable(tokens) {
  if (!tokens) return null;
  const rows = TOKEN_KINDS.filter(([key]) => tokens[key] !== undefined && tokens[key] !== null);
  if (rows.length === 0) return null;
  return h(
    'table',
    { class: 'mini tokens' },
    h('caption', {}, 'Tokens'),
    h('tbody', {}, rows.map(([key, label]) => h('tr', {}, h('th', { scope: 'row' }, label), h('td', { class: 'num' }, formatInt(tokens[key]))))),
  );
}

/** @param {{ text: string, truncated: boolean, originalLength: number } | null} c */
function truncatedNote(c) {
  return c && c.truncated ? h('p', { class: 'muted small' }, `Cut to ${c.text.length} of ${formatInt(c.originalLength)} characters.`) : null;
}

/** @param {Record<string, any>} span */
function content(span) {
  const sections = [];
  const convo = conversationOf(span.attributes);
  // The reasoning has its own block: leave it out of the output, where the same text came from.
  if (span.reasoning && convo.output) {
    const rest = withoutReasoning(convo.output);
    convo.output = rest.length > 0 ? rest : null;
  }
  if (span.reasoning) sections.push(h('section', { class: 'content' }, reasoningBlock(span.reasoning.text), truncatedNote(span.reasoning)));
  if (span.stepType === 'tool') {
    if (span.input) sections.push(block('Arguments', h('pre', { class: 'code' }, pretty(span.input.text)), truncatedNote(span.input)));
    if (span.output) sections.push(block('Result', h('pre', { class: 'code' }, pretty(span.output.text)), truncatedNote(span.output)));
  } else {
    if (convo.system) sections.push(block('System', renderConversation(convo.system)));
    if (convo.input) sections.push(block('Input', renderConversation(convo.input), truncatedNote(span.input)));
    else if (span.input) sections.push(block('Input', h('pre', { class: 'code wrap' }, pretty(span.input.text)), truncatedNote(span.input)));
    if (convo.output) sections.push(block('Output', renderConversation(convo.output), truncatedNote(span.output)));
    else if (span.output) sections.push(block('Output', h('pre', { class: 'code wrap' }, pretty(span.output.text)), truncatedNote(span.output)));
  }
  return sections.length > 0 ? h('div', { class: 'contents' }, sections) : h('p', { class: 'muted' }, 'No content recorded.');
}

/** @param {import('./messages.js').Message[]} messages */
function withoutReasoning(messages) {
  return messages.map((m) => ({ ...m, parts: m.parts.filter((p) => p.kind !== 'reasoning') })).filter((m) => m.parts.length > 0);
}

/** @param {string} title @param {...(Node | null)} children */
function block(title, ...children) {
  return h('section', { class: 'content' }, h('h3', {}, title), ...children);
}

/** @param {Record<string, any>} span */
function eventsSection(span) {
  return block(
    `Events (${span.events.length})`,
    h(
      'ol',
      { class: 'events' },
      span.events.map((/** @type {any} */ e) =>
        h(
          'li',
          {},
          h('div', {}, h('strong', {}, e.name), h('span', { class: 'muted' }, ` +${formatDuration(millisBetween(span.startTimeUnixNano, e.timeUnixNano))}`)),
          Object.keys(e.attributes).length > 0 ? attributeTable(e.attributes) : null,
        ),
      ),
    ),
  );
}

/** @param {string} title @param {Record<string, unknown>} attributes @param {boolean} open */
function attributesSection(title, attributes, open) {
  const count = Object.keys(attributes).length;
  return h('details', { class: 'attributes', open }, h('summary', {}, `${title} (${count})`), count > 0 ? attributeTable(attributes) : null);
}
