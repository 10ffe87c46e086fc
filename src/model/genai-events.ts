/**
 * The OTel GenAI events of one model call as its conversation (issue 17).
 *
 * The official GenAI instrumentations (`@opentelemetry/instrumentation-openai`
 * and its siblings) put the conversation in log events tied to the call's
 * span, not on the span: one event per message sent (`gen_ai.system.message`,
 * `gen_ai.user.message`, `gen_ai.assistant.message`, `gen_ai.tool.message`,
 * content in an AnyValue body `{ content, tool_calls, id }`) and one per
 * answer (`gen_ai.choice`, body `{ index, finish_reason, message }`). The
 * newer convention sends one `gen_ai.client.inference.operation.details`
 * event with `gen_ai.input.messages`, `gen_ai.output.messages` and
 * `gen_ai.system_instructions` attributes, the same values a span may carry.
 *
 * Each message is rendered as the span-attribute dialects render theirs
 * (content.ts: `role: text`, tool calls as `name(args)`), so a call reads the
 * same whichever way its instrumentation sent it.
 *
 * An instrumentation re-sends the whole history with every call. A call's
 * input text (what is stored, searched and put in the transcript) therefore
 * holds only the messages new since the previous call of the same
 * conversation: its leading messages equal to the previous call's messages
 * followed by its answer are counted in one line, not repeated. The events
 * themselves are kept whole: they are the call's full conversation.
 */
import { parseMaybeJson, renderMessages, renderParts, stringifyValue } from './content.js';
import { resolveEventName } from './event-name.js';
import type { RawLogRecord } from './log-types.js';
import { toContentText } from './truncate.js';
import type { AttributeValue, ContentText, NormalizeCounts } from './types.js';

export const GEN_AI_SYSTEM_MESSAGE = 'gen_ai.system.message';
export const GEN_AI_USER_MESSAGE = 'gen_ai.user.message';
export const GEN_AI_ASSISTANT_MESSAGE = 'gen_ai.assistant.message';
export const GEN_AI_TOOL_MESSAGE = 'gen_ai.tool.message';
export const GEN_AI_CHOICE = 'gen_ai.choice';
export const GEN_AI_OPERATION_DETAILS = 'gen_ai.client.inference.operation.details';

const ATTR_INPUT_MESSAGES = 'gen_ai.input.messages';
const ATTR_OUTPUT_MESSAGES = 'gen_ai.output.messages';
const ATTR_SYSTEM_INSTRUCTIONS = 'gen_ai.system_instructions';

/** A message event's name → the role its message has when its body names none. */
const MESSAGE_ROLES: ReadonlyMap<string, string> = new Map([
  [GEN_AI_SYSTEM_MESSAGE, 'system'],
  [GEN_AI_USER_MESSAGE, 'user'],
  [GEN_AI_ASSISTANT_MESSAGE, 'assistant'],
  [GEN_AI_TOOL_MESSAGE, 'tool'],
]);

/** A call's conversation: each message rendered on its own (it may span lines), in the order sent. */
export interface GenAiConversation {
  /** The messages sent, system instructions first. */
  input: string[];
  /** The answers (choices, output messages), in choice order. */
  output: string[];
  /** Reasoning parts of the answers. */
  reasoning: string[];
}

export interface ConversationContent {
  input: ContentText | null;
  output: ContentText | null;
  reasoning: ContentText | null;
}

/** Whether the record is one of the GenAI conversation events. */
export function isGenAiEvent(record: RawLogRecord): boolean {
  const name = resolveEventName(record);
  return name !== undefined && (MESSAGE_ROLES.has(name) || name === GEN_AI_CHOICE || name === GEN_AI_OPERATION_DETAILS);
}

/**
 * The conversation of one call from its events (those of its span, in the
 * order they were emitted); null when none is a GenAI event. An
 * operation-details event's messages, when it has them, are the call's whole
 * input (or output): the last such event wins, since an instrumentation may
 * send the request's details and then the call's.
 */
export function conversationFromEvents(events: readonly RawLogRecord[]): GenAiConversation | null {
  const messages: string[] = [];
  const choices: { index: number; text: string; reasoning: string }[] = [];
  let detailsInput: string[] | undefined;
  let detailsSystem: string | undefined;
  let detailsOutput: { text: string[]; reasoning: string[] } | undefined;
  let found = false;
  for (const event of events) {
    const name = resolveEventName(event);
    if (name === undefined) continue;
    const role = MESSAGE_ROLES.get(name);
    if (role !== undefined) {
      found = true;
      const text = renderOne(asMessage(event.body, role)).text;
      if (text !== '') messages.push(text);
    } else if (name === GEN_AI_CHOICE) {
      found = true;
      const choice = choiceOf(event.body);
      const rendered = renderOne(choice.message);
      if (rendered.text !== '' || rendered.reasoning !== '') choices.push({ index: choice.index, ...rendered });
    } else if (name === GEN_AI_OPERATION_DETAILS) {
      found = true;
      const system = detailValue(event, ATTR_SYSTEM_INSTRUCTIONS);
      if (system !== undefined) detailsSystem = renderParts(system).text;
      const input = detailValue(event, ATTR_INPUT_MESSAGES);
      if (input !== undefined) detailsInput = eachMessage(input).text;
      const output = detailValue(event, ATTR_OUTPUT_MESSAGES);
      if (output !== undefined) detailsOutput = eachMessage(output);
    }
  }
  if (!found) return null;
  const input = detailsInput ?? messages;
  const conversation: GenAiConversation = { input: [], output: [], reasoning: [] };
  if (detailsSystem) conversation.input.push(`system: ${detailsSystem}`);
  conversation.input.push(...input);
  if (detailsOutput !== undefined) {
    conversation.output = detailsOutput.text;
    conversation.reasoning = detailsOutput.reasoning;
  } else {
    choices.sort((a, b) => a.index - b.index);
    for (const choice of choices) {
      if (choice.text !== '') conversation.output.push(choice.text);
      if (choice.reasoning !== '') conversation.reasoning.push(choice.reasoning);
    }
  }
  return conversation;
}

/**
 * The text a call stores: its input without the leading messages it shares
 * with `previous` (the previous call's input then output), counted in a first
 * line instead; its output and reasoning whole. Cut to `maxLength`.
 */
export function conversationContent(
  current: GenAiConversation,
  previous: GenAiConversation | null,
  maxLength: number,
  counts: NormalizeCounts,
): ConversationContent {
  const skipped = previous === null ? 0 : sharedPrefix(current.input, [...previous.input, ...previous.output]);
  const lines = current.input.slice(skipped);
  if (skipped > 0) lines.unshift(earlierMessagesLine(skipped));
  const text = (parts: string[]): ContentText | null => (parts.length === 0 ? null : toContentText(parts.join('\n'), maxLength, counts));
  return { input: text(lines), output: text(current.output), reasoning: text(current.reasoning) };
}

/** The first line of a call's input when earlier messages are left out. */
export function earlierMessagesLine(count: number): string {
  return `[${count} earlier message${count === 1 ? '' : 's'}, as in the previous call]`;
}

/**
 * `events` without a second delivery of the same event (a resent request):
 * same time, name, body and attributes. Two equal messages at different times
 * are two events.
 */
export function distinctEvents(events: readonly RawLogRecord[]): RawLogRecord[] {
  const seen = new Set<string>();
  const out: RawLogRecord[] = [];
  for (const event of events) {
    const key = [
      event.timeUnixNano,
      event.observedTimeUnixNano,
      event.spanId,
      event.eventName,
      stringifyValue(event.body),
      stringifyValue(event.attributes),
    ].join('\0');
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(event);
  }
  return out;
}

function sharedPrefix(a: readonly string[], b: readonly string[]): number {
  let n = 0;
  while (n < a.length && n < b.length && a[n] === b[n]) n++;
  return n;
}

/** A message event's body as an OpenAI-style message (`{ role, content, tool_calls }`), its role from the event's name unless it names one. */
function asMessage(body: AttributeValue, role: string): Record<string, unknown> {
  if (isRecord(body)) return typeof body.role === 'string' && body.role !== '' ? body : { ...body, role };
  return { role, content: body };
}

/** A `gen_ai.choice` body: `{ index, finish_reason, message: { role?, content, tool_calls } }`. */
function choiceOf(body: AttributeValue): { index: number; message: Record<string, unknown> } {
  if (!isRecord(body)) return { index: 0, message: { role: 'assistant', content: body } };
  const index = typeof body.index === 'number' && Number.isFinite(body.index) ? body.index : 0;
  const message = isRecord(body.message) ? body.message : { content: body.content, tool_calls: body.tool_calls };
  return { index, message: typeof message.role === 'string' && message.role !== '' ? message : { ...message, role: 'assistant' } };
}

function renderOne(message: unknown): { text: string; reasoning: string } {
  return renderMessages([message]);
}

/** A messages value (JSON text or structured) rendered message by message. */
function eachMessage(value: AttributeValue): { text: string[]; reasoning: string[] } {
  const parsed = parseMaybeJson(value);
  const list = Array.isArray(parsed) ? parsed : [parsed];
  const out = { text: [] as string[], reasoning: [] as string[] };
  for (const message of list) {
    const rendered = renderOne(message);
    if (rendered.text !== '') out.text.push(rendered.text);
    if (rendered.reasoning !== '') out.reasoning.push(rendered.reasoning);
  }
  return out;
}

/** An operation-details value: its attribute, else (some SDKs) the same key in a map body. */
function detailValue(event: RawLogRecord, key: string): AttributeValue | undefined {
  const attributes = isRecord(event.attributes) ? event.attributes : undefined;
  const value = attributes?.[key] ?? (isRecord(event.body) ? event.body[key] : undefined);
  return value === null ? undefined : value;
}

function isRecord(value: unknown): value is Record<string, AttributeValue> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}
