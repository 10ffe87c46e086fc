// The session as a chat (Langfuse's session view): one turn per trace, with
// the user's message, the tool calls and reasoning folded in between, and the
// assistant's answer; tokens, cost and duration per turn.

import { h } from './dom.js';
import { formatDuration, formatInt, formatUsd, formatWhen, totalTokens } from './format.js';
import { conversationOf, pretty } from './messages.js';
import { groupByTrace } from './waterfall-tree.js';

/**
 * @param {{
 *   steps: Iterable<Record<string, any>>,
 *   spans: Map<string, Record<string, any>>,
 *   nowNs: string,
 *   hrefFor: (step: Record<string, any>) => string,
 * }} options
 */
export function renderChat({ steps, spans, nowNs, hrefFor }) {
  const groups = groupByTrace(/** @type {any} */ (steps), BigInt(nowNs));
  if (groups.length === 0) return h('p', { class: 'muted' }, 'No turns yet.');
  return h(
    'ol',
    { class: 'chat', 'aria-label': `${groups.length} turns` },
    groups.map((group, index) => {
      const ordered = group.rows.map((r) => /** @type {Record<string, any>} */ (r.step)).sort((a, b) => (BigInt(a.startTimeUnixNano) < BigInt(b.startTimeUnixNano) ? -1 : 1));
      const llm = ordered.filter((s) => s.stepType === 'llm');
      let tokens = 0;
      let cost = 0;
      let priced = false;
      for (const s of llm) {
        tokens += totalTokens(s.tokens);
        if (typeof s.costUsd === 'number') {
          cost += s.costUsd;
          priced = true;
        }
      }
      const errors = ordered.filter((s) => s.isError).length;
      const user = userMessage(llm, ordered, spans);
      const answer = assistantAnswer(llm, ordered, spans);
      const between = ordered.filter((s) => s.stepType === 'tool' || s.stepType === 'reasoning' || s.stepType === 'retrieval');
      return h(
        'li',
        { class: 'chat-turn', dataset: { traceId: group.traceId } },
        group.gapMillis !== null && group.gapMillis > 0 ? h('p', { class: 'wf-gap' }, `+${formatDuration(group.gapMillis)} idle`) : null,
        h(
          'div',
          { class: 'chat-turn-head' },
          h('h3', {}, `Turn ${index + 1}`),
          h(
            'span',
            { class: 'muted chat-turn-totals' },
            [formatWhen(String(group.startNs)), formatDuration(Number(group.endNs - group.startNs) / 1e6), `${formatInt(tokens)} tokens`, priced ? formatUsd(cost) : 'no cost', errors > 0 ? `${errors} ${errors === 1 ? 'error' : 'errors'}` : null]
              .filter(Boolean)
              .join(' · '),
          ),
        ),
        bubble('user', user),
        between.map((s) => folded(s, spans.get(s.spanId) ?? null, hrefFor(s))),
        bubble('assistant', answer),
      );
    }),
  );
}

/** @param {string} role @param {string | null} text */
function bubble(role, text) {
  return h('div', { class: `chat-msg role-${role}` }, h('div', { class: 'msg-role' }, role), text === null ? h('p', { class: 'muted' }, role === 'user' ? 'No user message recorded.' : 'No answer recorded.') : h('div', { class: 'part-text' }, text));
}

/** @param {Record<string, any>} step @param {Record<string, any> | null} span @param {string} href */
function folded(step, span, href) {
  const isTool = step.stepType === 'tool';
  const duration = step.endTimeUnixNano === null ? null : Number(BigInt(step.endTimeUnixNano) - BigInt(step.startTimeUnixNano)) / 1e6;
  const label = isTool ? (step.toolName ?? step.name) : step.name;
  const input = span?.input?.text ?? step.inputPreview ?? null;
  const output = step.stepType === 'reasoning' ? (span?.reasoning?.text ?? step.reasoningPreview ?? null) : (span?.output?.text ?? step.outputPreview ?? null);
  return h(
    'details',
    { class: `chat-step type-${step.stepType}${step.isError ? ' is-error' : ''}`, dataset: { spanId: step.spanId } },
    h(
      'summary',
      {},
      h('span', { class: 'part-kind' }, isTool ? 'Tool call' : step.stepType === 'reasoning' ? 'Reasoning' : 'Retrieval'),
      ' ',
      h('code', {}, label),
      duration === null ? null : h('span', { class: 'muted' }, ` · ${formatDuration(duration)}`),
      step.isError ? h('span', { class: 'state-error' }, ' · error') : null,
    ),
    isTool && input ? h('pre', { class: 'code' }, pretty(input)) : null,
    output ? h('pre', { class: 'code' }, pretty(output)) : null,
    step.isError && step.statusMessage ? h('p', { class: 'error-box' }, step.statusMessage) : null,
    h('a', { href, class: 'small' }, 'Open the step'),
  );
}

/** Text parts of a message. @param {import('./messages.js').Message} m */
const textOf = (m) => m.parts.flatMap((p) => (p.kind === 'text' ? [p.text] : [])).join('\n').trim();

/**
 * The user's message that started the turn: the last user message the first
 * model call was given; else the input of the turn's root step.
 * @param {Record<string, any>[]} llm @param {Record<string, any>[]} ordered @param {Map<string, Record<string, any>>} spans
 */
function userMessage(llm, ordered, spans) {
  const first = llm[0] ? spans.get(llm[0].spanId) : undefined;
  if (first) {
    const input = conversationOf(first.attributes).input;
    const users = (input ?? []).filter((m) => m.role === 'user').map(textOf).filter(Boolean);
    if (users.length > 0) return users[users.length - 1];
    if (first.input?.text) return first.input.text;
  }
  const root = ordered.find((s) => s.stepType === 'agent') ?? ordered[0];
  return spans.get(root.spanId)?.input?.text ?? root.inputPreview ?? (llm[0]?.inputPreview ?? null);
}

/**
 * The answer: the text of the last model call's output; else the root step's output.
 * @param {Record<string, any>[]} llm @param {Record<string, any>[]} ordered @param {Map<string, Record<string, any>>} spans
 */
function assistantAnswer(llm, ordered, spans) {
  for (const step of [...llm].reverse()) {
    const span = spans.get(step.spanId);
    if (!span) {
      if (step.outputPreview) return step.outputPreview;
      continue;
    }
    const output = conversationOf(span.attributes).output;
    const text = (output ?? []).map(textOf).filter(Boolean).join('\n');
    if (text) return text;
    if (!output && span.output?.text) return span.output.text;
  }
  const root = ordered.find((s) => s.stepType === 'agent') ?? ordered[0];
  return spans.get(root.spanId)?.output?.text ?? root.outputPreview ?? null;
}
