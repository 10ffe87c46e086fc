/**
 * A session as Markdown a person can read or paste into an LLM: a summary,
 * then every step in start order with its content in fenced blocks.
 *
 * An instrumentation that puts the conversation on its spans
 * (`gen_ai.input.messages`) re-sends the whole history with every call: a
 * model call whose input begins with the previous call's whole input (and
 * then its answer) shows those lines as one reference to that step, so the
 * history is in the transcript once. (Calls whose conversation came as GenAI
 * events already store only their new messages: model/genai-events.ts.)
 */

import { formatCount, formatDurationNanos, formatTimestamp, formatUsd } from './human-units.js';
import type { TimelineStep } from './query.js';
import type { ContentText, SessionSummary, StoredSpan, TokenTotals } from './types.js';

export interface TranscriptInput {
  session: SessionSummary;
  /** The session's timeline, in start order. */
  steps: readonly TimelineStep[];
  /** The session's spans by `traceId/spanId`, for status and content. */
  spans: ReadonlyMap<string, StoredSpan>;
}

/** A fence longer than any run of backticks inside, so content can never close it early. */
function fenced(text: string, info = 'text'): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return `${fence}${info}\n${text}\n${fence}`;
}

/** Escapes what would make a one-line value render as Markdown structure. */
function inline(text: string): string {
  return text.replace(/\s+/g, ' ').replace(/([\\`*_[\]<>#|])/g, '\\$1');
}

function tokenText(tokens: Partial<TokenTotals>): string {
  const parts: string[] = [];
  if (tokens.input !== undefined) parts.push(`${formatCount(tokens.input)} in`);
  if (tokens.output !== undefined) parts.push(`${formatCount(tokens.output)} out`);
  if (tokens.reasoning) parts.push(`${formatCount(tokens.reasoning)} reasoning`);
  if (tokens.cacheRead) parts.push(`${formatCount(tokens.cacheRead)} cache read`);
  if (tokens.cacheWrite) parts.push(`${formatCount(tokens.cacheWrite)} cache write`);
  return parts.join(' / ');
}

function contentBlock(label: string, c: ContentText | null): string[] {
  if (c === null || c.text === '') return [];
  const note = c.truncated ? ` (truncated: ${formatCount(c.text.length)} of ${formatCount(c.originalLength)} characters)` : '';
  return [`**${label}**${note}`, '', fenced(c.text), ''];
}

function summaryLines(s: SessionSummary, redacted = 0): string[] {
  const duration = s.lastEndUnixNano === null ? 'still running' : formatDurationNanos(s.lastEndUnixNano - s.firstStartUnixNano);
  const lines = [
    `# Session ${inline(s.sessionId)}`,
    '',
    `- Status: ${s.status}`,
    `- Started: ${formatTimestamp(s.firstStartUnixNano)} · Duration: ${duration}`,
  ];
  if (s.agentName !== null || s.userId !== null) {
    lines.push(`- Agent: ${s.agentName === null ? '—' : inline(s.agentName)} · User: ${s.userId === null ? '—' : inline(s.userId)}`);
  }
  lines.push(
    `- Steps: ${s.spanCount} (${s.llmCallCount} model calls, ${s.toolCallCount} tool calls, ${s.errorCount} errors` +
      `${s.interruptedCount > 0 ? `, ${s.interruptedCount} interrupted` : ''})`,
    `- Tokens: ${formatCount(s.tokens.input)} input · ${formatCount(s.tokens.output)} output · ` +
      `${formatCount(s.tokens.reasoning)} reasoning · ${formatCount(s.tokens.cacheRead)} cache read · ` +
      `${formatCount(s.tokens.cacheWrite)} cache write`,
    `- Cost: ${formatUsd(s.costUsd)} (computed ${formatUsd(s.computedCostUsd)}, supplied ${formatUsd(s.suppliedCostUsd)})` +
      `${s.unpricedCallCount > 0 ? ` · ${s.unpricedCallCount} unpriced calls` : ''}`,
  );
  if (s.models.length > 0) lines.push(`- Models: ${s.models.map(inline).join(', ')}`);
  if (redacted > 0) lines.push(`- Redacted: ${formatCount(redacted)} value${redacted === 1 ? '' : 's'}`);
  lines.push('');
  return lines;
}

/** The previous model call: its step number and its input and output lines. */
interface PreviousCall {
  number: number;
  input: string[];
  output: string[];
}

/**
 * `input` without the lines it repeats from `previous` (its whole input, then as much of its output as
 * follows), counted in a first line; unchanged when it does not begin with the previous input, or when
 * either was cut (a cut previous input says nothing of what followed it; a cut one keeps its length note true).
 */
function newSince(input: ContentText | null, previous: PreviousCall | undefined): ContentText | null {
  if (input === null || input.truncated || previous === undefined || previous.input.length === 0) return input;
  const lines = input.text.split('\n');
  const known = [...previous.input, ...previous.output];
  let skipped = 0;
  while (skipped < lines.length && skipped < known.length && lines[skipped] === known[skipped]) skipped++;
  if (skipped < previous.input.length) return input;
  const text = [`[${skipped} earlier line${skipped === 1 ? '' : 's'}, as in step ${previous.number}]`, ...lines.slice(skipped)].join('\n');
  return { ...input, text };
}

function linesOf(c: ContentText | null): string[] {
  return c === null || c.truncated || c.text === '' ? [] : c.text.split('\n');
}

function stepLines(step: TimelineStep, index: number, span: StoredSpan | undefined, previous?: PreviousCall): string[] {
  const level = '#'.repeat(Math.min(3 + step.depth, 6));
  const facts: string[] = [step.stepType];
  if (step.model !== null) facts.push(inline(step.model));
  if (step.toolName !== null && step.stepType === 'tool') facts.push(`tool ${inline(step.toolName)}`);
  facts.push(step.open ? 'running' : step.interrupted ? 'interrupted' : formatDurationNanos(step.durationNanos));
  const tokens = tokenText(step.tokens);
  if (tokens !== '') facts.push(tokens);
  if (step.costUsd !== null) facts.push(formatUsd(step.costUsd));
  if (step.isError) facts.push('**error**');
  const lines = [`${level} ${index + 1}. ${inline(step.name)}`, '', facts.join(' · '), ''];
  if (span) {
    if (span.isError && span.statusMessage !== '') lines.push(`> Error: ${inline(span.statusMessage)}`, '');
    lines.push(...contentBlock('Input', newSince(span.input, previous)), ...contentBlock('Reasoning', span.reasoning), ...contentBlock('Output', span.output));
  }
  return lines;
}

export function sessionTranscript(input: TranscriptInput): string {
  const lines = summaryLines(input.session, [...input.spans.values()].reduce((n, span) => n + span.counts.redacted, 0));
  lines.push('## Steps', '');
  let previous: PreviousCall | undefined;
  input.steps.forEach((step, i) => {
    const span = input.spans.get(`${step.traceId}/${step.spanId}`);
    const call = step.stepType === 'llm' && span !== undefined;
    lines.push(...stepLines(step, i, span, call ? previous : undefined));
    if (call) previous = { number: i + 1, input: linesOf(span.input), output: linesOf(span.output) };
  });
  return `${lines.join('\n').trimEnd()}\n`;
}
