/**
 * Input, output and reasoning text of a span from whichever dialect carried
 * it, in order of how structured the source is: OTel GenAI messages first,
 * then tool-call arguments/results, OpenInference values, Vercel AI SDK,
 * Traceloop indexed prompts, Langfuse and Traceloop entity values.
 */

import { renderMessages, renderParts, renderToolCalls, renderVercelPrompt, stringifyValue } from './content.js';
import { S } from './dialect-slots.js';
import { toContentText } from './truncate.js';
import type { ContentText, NormalizeCounts } from './types.js';

/** Traceloop `gen_ai.prompt.<N>.role|content` / `gen_ai.completion.<N>.role|content`, by index. */
export interface IndexedMessage {
  role?: string;
  content?: unknown;
}

export interface ExtractedContent {
  input: ContentText | null;
  output: ContentText | null;
  reasoning: ContentText | null;
}

/** Largest `<N>` accepted in indexed prompt keys: bounds the array a hostile key could make us allocate. */
const MAX_INDEXED_MESSAGES = 1024;

/** Records one indexed attribute (`rest` is the key after the prefix, e.g. `0.content`). Returns false for keys of another shape. */
export function collectIndexed(target: IndexedMessage[], rest: string, value: unknown): boolean {
  const dot = rest.indexOf('.');
  if (dot <= 0 || dot > 4) return false;
  const index = Number(rest.slice(0, dot));
  if (!Number.isInteger(index) || index < 0 || index >= MAX_INDEXED_MESSAGES) return false;
  const field = rest.slice(dot + 1);
  if (field !== 'content' && field !== 'role') return false;
  const message = (target[index] ??= {});
  if (field === 'role') message.role = typeof value === 'string' ? value : stringifyValue(value);
  else message.content = value;
  return true;
}

function renderIndexed(messages: IndexedMessage[]): string {
  const lines: string[] = [];
  for (const message of messages) {
    if (!message || message.content === undefined) continue;
    const text = stringifyValue(message.content);
    lines.push(message.role ? `${message.role}: ${text}` : text);
  }
  return lines.join('\n');
}

function plain(value: unknown): string {
  return value === undefined ? '' : stringifyValue(value);
}

export function extractContent(
  values: unknown[],
  prompts: IndexedMessage[] | undefined,
  completions: IndexedMessage[] | undefined,
  maxLength: number,
  counts: NormalizeCounts,
): ExtractedContent {
  let reasoningText = '';

  let inputText = '';
  const system = values[S.systemInstructions];
  const inputMessages = values[S.inputMessages];
  if (system !== undefined || inputMessages !== undefined) {
    const lines: string[] = [];
    if (system !== undefined) {
      const text = renderParts(system).text;
      if (text) lines.push(`system: ${text}`);
    }
    if (inputMessages !== undefined) {
      const text = renderMessages(inputMessages).text;
      if (text) lines.push(text);
    }
    inputText = lines.join('\n');
  }
  inputText ||= plain(values[S.toolArguments]) || plain(values[S.inputValue]);
  if (!inputText && values[S.promptMessagesVercel] !== undefined) inputText = renderMessages(values[S.promptMessagesVercel]).text;
  if (!inputText && values[S.promptVercel] !== undefined) inputText = renderVercelPrompt(values[S.promptVercel]);
  inputText ||= plain(values[S.toolArgsVercel]);
  if (!inputText && prompts) inputText = renderIndexed(prompts);
  inputText ||= plain(values[S.inputLangfuse]) || plain(values[S.inputTraceloop]);

  let outputText = '';
  const outputMessages = values[S.outputMessages];
  if (outputMessages !== undefined) {
    const rendered = renderMessages(outputMessages);
    outputText = rendered.text;
    reasoningText = rendered.reasoning;
  }
  outputText ||= plain(values[S.toolResult]) || plain(values[S.outputValue]);
  if (!outputText) {
    const text = plain(values[S.responseTextVercel]);
    const calls = values[S.responseToolCallsVercel] === undefined ? '' : renderToolCalls(values[S.responseToolCallsVercel]);
    outputText = text && calls ? `${text}\n${calls}` : text || calls;
  }
  outputText ||= plain(values[S.toolResultVercel]);
  if (!outputText && completions) outputText = renderIndexed(completions);
  outputText ||= plain(values[S.outputLangfuse]) || plain(values[S.outputTraceloop]);

  reasoningText ||= plain(values[S.reasoningSkein]) || plain(values[S.responseReasoningVercel]);

  return {
    input: inputText ? toContentText(inputText, maxLength, counts) : null,
    output: outputText ? toContentText(outputText, maxLength, counts) : null,
    reasoning: reasoningText ? toContentText(reasoningText, maxLength, counts) : null,
  };
}
