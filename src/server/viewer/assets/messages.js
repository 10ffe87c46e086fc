// Reads the conversation a step carries, whatever dialect wrote it, into one
// shape (messages of parts), and renders it: bubbles per role, tool calls
// with their arguments, tool results, and reasoning as its own block.

import { h } from './dom.js';

/**
 * @typedef {{ kind: 'text', text: string }
 *   | { kind: 'tool_call', name: string, id: string | null, args: unknown }
 *   | { kind: 'tool_result', id: string | null, result: unknown }
 *   | { kind: 'reasoning', text: string }
 *   | { kind: 'other', value: unknown }} Part
 * @typedef {{ role: string, parts: Part[] }} Message
 */

/** @param {unknown} value */
function parseJson(value) {
  if (typeof value !== 'string') return value;
  const trimmed = value.trim();
  if (!trimmed.startsWith('[') && !trimmed.startsWith('{')) return value;
  try {
    return JSON.parse(trimmed);
  } catch {
    return value;
  }
}

/** @param {unknown} part @returns {Part} */
function toPart(part) {
  if (typeof part === 'string') return { kind: 'text', text: part };
  if (part === null || typeof part !== 'object') return { kind: 'other', value: part };
  const p = /** @type {Record<string, any>} */ (part);
  const type = String(p.type ?? '');
  if (type === 'text' || type === 'input_text' || type === 'output_text') return { kind: 'text', text: String(p.content ?? p.text ?? '') };
  if (type === 'reasoning' || type === 'thinking') return { kind: 'reasoning', text: String(p.content ?? p.text ?? p.thinking ?? '') };
  if (type === 'tool_call' || type === 'tool-call' || type === 'function_call' || type === 'tool_use') {
    return { kind: 'tool_call', name: String(p.name ?? p.toolName ?? p.function?.name ?? 'tool'), id: p.id ?? p.toolCallId ?? null, args: parseJson(p.arguments ?? p.args ?? p.input ?? p.function?.arguments) };
  }
  if (type === 'tool_call_response' || type === 'tool-result' || type === 'tool_result' || type === 'function_call_output') {
    return { kind: 'tool_result', id: p.id ?? p.toolCallId ?? p.tool_use_id ?? null, result: parseJson(p.response ?? p.result ?? p.output ?? p.content) };
  }
  if (typeof p.content === 'string' && type === '') return { kind: 'text', text: p.content };
  return { kind: 'other', value: part };
}

/** One message in any of the shapes seen in the wild. @param {unknown} raw @returns {Message | null} */
function toMessage(raw) {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return null;
  const m = /** @type {Record<string, any>} */ (raw);
  if (typeof m.role !== 'string' && !Array.isArray(m.parts)) return null;
  const role = String(m.role ?? 'message');
  /** @type {Part[]} */
  const parts = [];
  if (Array.isArray(m.parts)) parts.push(...m.parts.map(toPart));
  else if (Array.isArray(m.content)) parts.push(...m.content.map(toPart));
  else if (m.content !== undefined && m.content !== null && m.content !== '') parts.push(toPart(String(m.content)));
  if (typeof m.reasoning_content === 'string') parts.unshift({ kind: 'reasoning', text: m.reasoning_content });
  for (const call of Array.isArray(m.tool_calls) ? m.tool_calls : []) {
    parts.push({ kind: 'tool_call', name: String(call?.function?.name ?? call?.name ?? 'tool'), id: call?.id ?? null, args: parseJson(call?.function?.arguments ?? call?.arguments) });
  }
  if (role === 'tool' && parts.length > 0 && parts.every((p) => p.kind === 'text')) {
    return { role, parts: [{ kind: 'tool_result', id: m.tool_call_id ?? null, result: parseJson(parts.map((p) => /** @type {any} */ (p).text).join('\n')) }] };
  }
  return { role, parts };
}

/** @param {unknown} value @returns {Message[] | null} */
export function messagesFrom(value) {
  const parsed = parseJson(value);
  const list = Array.isArray(parsed) ? parsed : parsed && typeof parsed === 'object' && Array.isArray(/** @type {any} */ (parsed).messages) ? /** @type {any} */ (parsed).messages : null;
  if (list === null || list.length === 0) return null;
  const messages = list.map(toMessage);
  return messages.every((m) => m !== null) ? /** @type {Message[]} */ (messages) : null;
}

/**
 * Flattened dialects (`llm.input_messages.0.message.role`, `gen_ai.prompt.0.content`):
 * rebuilds the list from indexed attribute keys.
 * @param {Record<string, unknown>} attributes @param {string} prefix @param {string} [inner]
 * @returns {Message[] | null}
 */
function indexedMessages(attributes, prefix, inner = '') {
  /** @type {Map<number, Record<string, unknown>>} */
  const byIndex = new Map();
  for (const [key, value] of Object.entries(attributes)) {
    if (!key.startsWith(prefix)) continue;
    const match = /^(\d+)\.(.+)$/.exec(key.slice(prefix.length));
    if (!match) continue;
    const field = inner && match[2].startsWith(inner) ? match[2].slice(inner.length) : match[2];
    const entry = byIndex.get(Number(match[1])) ?? {};
    entry[field] = value;
    byIndex.set(Number(match[1]), entry);
  }
  if (byIndex.size === 0) return null;
  return [...byIndex.entries()]
    .sort(([a], [b]) => a - b)
    .map(([, fields]) => {
      /** @type {Part[]} */
      const parts = [];
      if (fields.content !== undefined) parts.push({ kind: 'text', text: String(fields.content) });
      /** @type {Map<string, Record<string, unknown>>} */
      const calls = new Map();
      for (const [field, value] of Object.entries(fields)) {
        const call = /^tool_calls\.(\d+)\.(?:tool_call\.)?(?:function\.)?(name|arguments|id)$/.exec(field);
        if (!call) continue;
        const entry = calls.get(call[1]) ?? {};
        entry[call[2]] = value;
        calls.set(call[1], entry);
      }
      for (const call of calls.values()) parts.push({ kind: 'tool_call', name: String(call.name ?? 'tool'), id: /** @type {string | null} */ (call.id ?? null), args: parseJson(call.arguments) });
      return { role: String(fields.role ?? 'message'), parts };
    });
}

/**
 * The input and output conversation of a span, from the first dialect that has one.
 * @param {Record<string, unknown>} attributes
 * @returns {{ input: Message[] | null, output: Message[] | null, system: Message[] | null }}
 */
export function conversationOf(attributes) {
  const a = attributes;
  const system = a['gen_ai.system_instructions'] === undefined ? null : [{ role: 'system', parts: systemParts(a['gen_ai.system_instructions']) }];
  const input =
    messagesFrom(a['gen_ai.input.messages']) ??
    messagesFrom(a['ai.prompt.messages']) ??
    messagesFrom(a['ai.prompt']) ??
    indexedMessages(a, 'llm.input_messages.', 'message.') ??
    indexedMessages(a, 'gen_ai.prompt.');
  let output =
    messagesFrom(a['gen_ai.output.messages']) ??
    indexedMessages(a, 'llm.output_messages.', 'message.') ??
    indexedMessages(a, 'gen_ai.completion.');
  if (output === null && (typeof a['ai.response.text'] === 'string' || a['ai.response.toolCalls'] !== undefined)) {
    /** @type {Part[]} */
    const parts = [];
    if (typeof a['ai.response.reasoning'] === 'string') parts.push({ kind: 'reasoning', text: a['ai.response.reasoning'] });
    if (typeof a['ai.response.text'] === 'string') parts.push({ kind: 'text', text: a['ai.response.text'] });
    const calls = parseJson(a['ai.response.toolCalls']);
    if (Array.isArray(calls)) for (const call of calls) parts.push(toPart({ type: 'tool-call', ...call }));
    output = [{ role: 'assistant', parts }];
  }
  return { input, output, system };
}

/** @param {unknown} value @returns {Part[]} */
function systemParts(value) {
  const parsed = parseJson(value);
  return Array.isArray(parsed) ? parsed.map(toPart) : [toPart(String(parsed))];
}

/** @param {unknown} value */
export function pretty(value) {
  const parsed = parseJson(value);
  if (typeof parsed === 'string') return parsed;
  try {
    return JSON.stringify(parsed, null, 2);
  } catch {
    return String(parsed);
  }
}

/** @param {Part} part */
function renderPart(part) {
  switch (part.kind) {
    case 'text':
      return h('div', { class: 'part-text' }, part.text);
    case 'reasoning':
      return reasoningBlock(part.text);
    case 'tool_call':
      return h(
        'div',
        { class: 'part-tool-call' },
        h('div', { class: 'part-head' }, h('span', { class: 'part-kind' }, 'Tool call'), h('code', {}, part.name), part.id ? h('span', { class: 'muted mono' }, ` ${part.id}`) : null),
        part.args === undefined || part.args === null ? null : h('pre', { class: 'code' }, pretty(part.args)),
      );
    case 'tool_result':
      return h(
        'div',
        { class: 'part-tool-result' },
        h('div', { class: 'part-head' }, h('span', { class: 'part-kind' }, 'Tool result'), part.id ? h('span', { class: 'muted mono' }, ` ${part.id}`) : null),
        h('pre', { class: 'code' }, pretty(part.result)),
      );
    default:
      return h('pre', { class: 'code' }, pretty(part.value));
  }
}

/** @param {string} text @param {{ open?: boolean }} [options] */
export function reasoningBlock(text, options = {}) {
  return h('details', { class: 'reasoning-block', open: options.open ?? true }, h('summary', {}, 'Reasoning'), h('div', { class: 'part-text' }, text));
}

/** @param {Message[]} messages */
export function renderConversation(messages) {
  return h(
    'ol',
    { class: 'conversation' },
    messages.map((m) => h('li', { class: `msg role-${m.role.replace(/[^a-z_-]/gi, '')}` }, h('div', { class: 'msg-role' }, m.role), m.parts.map(renderPart))),
  );
}
