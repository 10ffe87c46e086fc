// The session's Turns tab (a coding agent's session as its user saw it): one
// block per turn headed by the user's prompt, then its model calls (model,
// tokens, cost, duration, answer) and tool calls (tool, arguments, result,
// success) in order, each linking to its step. Grouping: turns.js.

import { h, keepDetailsState, replace } from './dom.js';
import { formatCompact, formatDuration, formatInt, formatTime, formatUsd, millisBetween, totalTokens } from './format.js';
import { pretty } from './messages.js';
import { groupTurns, turnTraceIds } from './turns.js';

const ANSWER_PREVIEW = 400;
const OPEN_TEXT_LENGTH = 600;

/**
 * The Turns tab's panel. `render` rebuilds it, keeping what the reader unfolded; `load` asks for the full
 * spans of the turns' traces (prompt, arguments and results whole, not the previews).
 * @param {{ loadTrace: (traceId: string) => Promise<void> }} data
 */
export function createTurnsPanel(data) {
  const element = h('section', { class: 'turns-section', id: 'tab-turns', role: 'tabpanel', 'aria-labelledby': 'tab-turns-button', hidden: true });
  /** @type {Set<string>} traces asked for once (a failed one is not asked for again on every render) */
  const requested = new Set();
  return {
    element,
    /** @param {Parameters<typeof renderTurns>[0]} options */
    render(options) {
      keepDetailsState(element, () => replace(element, renderTurns(options)));
    },
    /** @param {Iterable<Record<string, any>>} steps */
    load(steps) {
      for (const traceId of turnTraceIds(/** @type {any} */ (steps))) {
        if (requested.has(traceId)) continue;
        requested.add(traceId);
        void data.loadTrace(traceId).catch(() => {});
      }
    },
  };
}

/**
 * @param {{
 *   steps: Iterable<Record<string, any>>,
 *   spans: Map<string, Record<string, any>>,
 *   nowNs: string,
 *   hrefFor: (step: Record<string, any>) => string,
 * }} options `spans`: the full spans loaded so far (full texts); the steps' previews until then
 */
export function renderTurns({ steps, spans, nowNs, hrefFor }) {
  const turns = groupTurns(/** @type {any} */ (steps));
  if (turns.length === 0) return h('p', { class: 'muted' }, 'No turns yet.');
  let number = 0;
  return h(
    'ol',
    { class: 'turns', 'aria-label': `${turns.filter((t) => t.turn !== null).length} turns` },
    turns.map((turn) => turnBlock(turn, turn.turn === null ? null : ++number, { spans, nowNs, hrefFor })),
  );
}

/**
 * @param {import('./turns.js').Turn} turn @param {number | null} number null: the calls before the first prompt
 * @param {{ spans: Map<string, Record<string, any>>, nowNs: string, hrefFor: (step: Record<string, any>) => string }} context
 */
function turnBlock(turn, number, context) {
  const step = turn.turn;
  const titleId = step === null ? 'turn-before' : `turn-${step.spanId}`;
  const prompt = step === null ? null : textOf(context.spans.get(step.spanId)?.input, step.inputPreview);
  const first = turn.calls[0]?.step;
  const startNs = step?.startTimeUnixNano ?? first?.startTimeUnixNano;
  return h(
    'li',
    { class: 'turn', dataset: { spanId: step?.spanId ?? '', calls: String(turn.llmCount), tools: String(turn.toolCount) }, 'aria-labelledby': titleId },
    h(
      'header',
      { class: 'turn-head' },
      h('h3', { id: titleId }, step === null ? 'Before the first prompt' : h('a', { href: context.hrefFor(step) }, `Turn ${number}`)),
      h('span', { class: 'muted turn-when' }, startNs ? formatTime(startNs) : ''),
      h('span', { class: 'turn-totals muted' }, totals(turn, context.nowNs)),
    ),
    step === null ? null : h('div', { class: 'turn-prompt' }, h('span', { class: 'msg-role' }, 'User'), prompt === null ? h('span', { class: 'muted' }, '(the prompt was not recorded)') : longText(prompt, 'turn-prompt-text')),
    turn.calls.length === 0
      ? h('p', { class: 'muted' }, 'No model or tool calls in this turn.')
      : h('ol', { class: 'turn-calls' }, turn.calls.map((call) => (call.step.stepType === 'llm' ? modelCall(call, context) : toolCall(call, context)))),
  );
}

/** @param {import('./turns.js').Turn} turn @param {string} nowNs */
function totals(turn, nowNs) {
  const parts = [plural(turn.llmCount, 'model call'), plural(turn.toolCount, 'tool call'), `${formatCompact(totalTokens(turn.tokens))} tokens`];
  if (turn.costUsd !== null) parts.push(`${formatUsd(turn.costUsd)}${turn.unpricedCount > 0 ? '+' : ''}`);
  const duration = turnMillis(turn, nowNs);
  if (duration !== null) parts.push(formatDuration(duration));
  if (turn.errorCount > 0) parts.push(plural(turn.errorCount, 'error'));
  return parts.join(' · ');
}

/** From the turn's (else its first call's) start to the end of its last call. @param {import('./turns.js').Turn} turn @param {string} nowNs */
function turnMillis(turn, nowNs) {
  const steps = turn.calls.map((c) => c.step);
  if (turn.turn) steps.push(turn.turn);
  if (steps.length === 0) return null;
  let start = BigInt(steps[0].startTimeUnixNano);
  let end = 0n;
  for (const s of steps) {
    const from = BigInt(s.startTimeUnixNano);
    const to = BigInt(s.endTimeUnixNano ?? nowNs);
    if (from < start) start = from;
    if (to > end) end = to;
  }
  return millisBetween(String(start), String(end));
}

/** @param {import('./turns.js').TurnCall} call @param {{ spans: Map<string, Record<string, any>>, nowNs: string, hrefFor: (step: Record<string, any>) => string }} context */
function modelCall({ step, nesting }, context) {
  const span = context.spans.get(step.spanId);
  const model = step.model ?? span?.responseModel ?? span?.requestModel ?? 'model';
  const tokens = step.tokens ?? span?.usage ?? {};
  const answer = textOf(span?.output, step.outputPreview);
  const cost = typeof step.costUsd === 'number' ? `${formatUsd(step.costUsd)}${step.costSource === 'supplied' ? ' (supplied)' : ''}` : 'unpriced';
  return h(
    'li',
    { class: `turn-call call-llm${step.isError ? ' is-error' : ''}`, dataset: { spanId: step.spanId, stepType: 'llm', nesting: String(nesting) }, style: indent(nesting) },
    h(
      'div',
      { class: 'call-line' },
      h('span', { class: 'type-chip type-llm' }, 'Model'),
      h('a', { class: 'call-name', href: context.hrefFor(step) }, model),
      h('span', { class: 'call-tokens' }, tokenText(tokens)),
      h('span', { class: 'call-cost' }, cost),
      h('span', { class: 'call-dur muted' }, duration(step, context.nowNs)),
      step.isError ? h('span', { class: 'badge badge-failed' }, 'error') : null,
    ),
    step.isError && step.statusMessage ? h('p', { class: 'error-box' }, step.statusMessage) : null,
    answer === null ? null : h('p', { class: 'call-answer' }, clip(answer, ANSWER_PREVIEW)),
  );
}

/** @param {import('./turns.js').TurnCall} call @param {{ spans: Map<string, Record<string, any>>, nowNs: string, hrefFor: (step: Record<string, any>) => string }} context */
function toolCall({ step, nesting }, context) {
  const span = context.spans.get(step.spanId);
  const args = textOf(span?.input, step.inputPreview);
  const result = textOf(span?.output, step.outputPreview);
  const running = step.endTimeUnixNano === null;
  return h(
    'li',
    { class: `turn-call call-tool${step.isError ? ' is-error' : ''}`, dataset: { spanId: step.spanId, stepType: 'tool', nesting: String(nesting) }, style: indent(nesting) },
    h(
      'div',
      { class: 'call-line' },
      h('span', { class: 'type-chip type-tool' }, 'Tool'),
      h('a', { class: 'call-name', href: context.hrefFor(step) }, step.toolName ?? step.name),
      h('span', { class: `badge call-outcome ${step.isError ? 'badge-failed' : running ? 'badge-running' : 'badge-completed'}` }, step.isError ? 'failed' : running ? 'running' : 'ok'),
      h('span', { class: 'call-dur muted' }, duration(step, context.nowNs)),
    ),
    step.isError && step.statusMessage ? h('p', { class: 'error-box' }, step.statusMessage) : null,
    labelled('Arguments', args, 'call-args'),
    labelled('Result', result, 'call-result'),
  );
}

/** A labelled block of text, shown whole when short, folded when long; a muted line when absent. @param {string} label @param {string | null} text @param {string} cls */
function labelled(label, text, cls) {
  if (text === null) return h('p', { class: `muted call-missing ${cls}` }, `${label}: not recorded`);
  const body = h('pre', { class: `code ${cls}` }, pretty(text));
  if (text.length <= OPEN_TEXT_LENGTH) return h('div', { class: 'call-block' }, h('span', { class: 'call-label muted' }, label), body);
  return h('details', { class: 'call-block' }, h('summary', { class: 'call-label muted' }, `${label} (${formatInt(text.length)} characters)`), body);
}

/** @param {string} text @param {string} cls */
function longText(text, cls) {
  if (text.length <= OPEN_TEXT_LENGTH) return h('p', { class: cls }, text);
  return h('details', {}, h('summary', { class: cls }, clip(text, 200)), h('p', { class: cls }, text));
}

/** @param {Record<string, number | undefined>} tokens */
function tokenText(tokens) {
  const parts = [`in ${formatInt(tokens.input ?? 0)}`, `out ${formatInt(tokens.output ?? 0)}`];
  if (tokens.cacheRead) parts.push(`cache read ${formatInt(tokens.cacheRead)}`);
  if (tokens.cacheWrite) parts.push(`cache write ${formatInt(tokens.cacheWrite)}`);
  if (tokens.reasoning) parts.push(`reasoning ${formatInt(tokens.reasoning)}`);
  return parts.join(' · ');
}

/** Nothing for a step that starts and ends at once (a step made from one event with no duration, as Codex's calls). @param {Record<string, any>} step @param {string} nowNs */
function duration(step, nowNs) {
  if (step.endTimeUnixNano === step.startTimeUnixNano) return '';
  return formatDuration(millisBetween(step.startTimeUnixNano, step.endTimeUnixNano ?? nowNs));
}

/** The full text when the span is loaded, else the step's preview. @param {{ text?: string } | null | undefined} full @param {string | null | undefined} preview */
function textOf(full, preview) {
  if (full && typeof full.text === 'string') return full.text;
  return typeof preview === 'string' && preview !== '' ? preview : null;
}

/** A subagent's calls sit to the right of the tool call that ran them. @param {number} depth */
function indent(depth) {
  return depth > 0 ? { 'margin-left': `${Math.min(depth, 4) * 1.5}rem` } : null;
}

/** @param {string} text @param {number} max */
function clip(text, max) {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** @param {number} n @param {string} word */
function plural(n, word) {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
