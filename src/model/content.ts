/**
 * Rendering message attributes as readable text: one line per message
 * (`role: text`), tool calls as `name(args)`, reasoning kept apart.
 *
 * Accepts the OTel GenAI shape (`[{ role, parts: [{ type, content | name,
 * arguments | response }] }]`) and the shapes dialects use beside it:
 * OpenAI-style `{ role, content, tool_calls }` and Vercel AI SDK content
 * parts (`text`, `tool-call`, `tool-result`, `reasoning`). JSON is parsed
 * only here, and only for message-shaped attributes.
 */

/** Message JSON longer than this is shown as it arrived instead of parsed: parsing megabytes on the ingest path is not worth a prettier view. */
const MAX_PARSE_LENGTH = 1 << 20;
/** Structured values nested deeper than this render as `…`. */
const MAX_RENDER_DEPTH = 12;

export interface RenderedMessages {
  text: string;
  reasoning: string;
}

/** Parses a JSON string when it looks like JSON; otherwise (or when it fails) returns the value unchanged. */
export function parseMaybeJson(value: unknown): unknown {
  if (typeof value !== 'string' || value.length > MAX_PARSE_LENGTH) return value;
  const first = firstNonSpace(value);
  if (first !== '[' && first !== '{') return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return value;
  }
}

function firstNonSpace(value: string): string {
  for (let i = 0; i < value.length && i < 64; i++) {
    const ch = value[i];
    if (ch !== ' ' && ch !== '\n' && ch !== '\r' && ch !== '\t') return ch;
  }
  return '';
}

/** Readable text of any attribute value: strings as they are, structures as compact JSON-like text. Never throws. */
export function stringifyValue(value: unknown, depth = 0): string {
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) return '';
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (value instanceof Uint8Array) return `[${value.length} bytes]`;
  if (typeof value !== 'object') return '';
  if (depth >= MAX_RENDER_DEPTH) return '…';
  if (Array.isArray(value)) return `[${value.map((item) => jsonItem(item, depth + 1)).join(',')}]`;
  const parts: string[] = [];
  for (const key of Object.keys(value)) {
    parts.push(`${JSON.stringify(key)}:${jsonItem((value as Record<string, unknown>)[key], depth + 1)}`);
  }
  return `{${parts.join(',')}}`;
}

function jsonItem(value: unknown, depth: number): string {
  return typeof value === 'string' ? JSON.stringify(value) : stringifyValue(value, depth) || 'null';
}

/** Renders a messages attribute (JSON string or structured). Plain strings are taken as the text itself. */
export function renderMessages(value: unknown): RenderedMessages {
  const parsed = parseMaybeJson(value);
  const out: RenderedMessages = { text: '', reasoning: '' };
  if (typeof parsed === 'string') {
    out.text = parsed;
    return out;
  }
  const lines: string[] = [];
  const reasoning: string[] = [];
  const messages = Array.isArray(parsed) ? parsed : [parsed];
  for (const message of messages) renderMessage(message, lines, reasoning);
  out.text = lines.join('\n');
  out.reasoning = reasoning.join('\n');
  return out;
}

/** Renders `gen_ai.system_instructions` (a part array, JSON string or structured, or plain text). */
export function renderParts(value: unknown): RenderedMessages {
  const parsed = parseMaybeJson(value);
  if (typeof parsed === 'string') return { text: parsed, reasoning: '' };
  const texts: string[] = [];
  const reasoning: string[] = [];
  for (const part of Array.isArray(parsed) ? parsed : [parsed]) renderPart(part, texts, reasoning);
  return { text: texts.join('\n'), reasoning: reasoning.join('\n') };
}

function renderMessage(message: unknown, lines: string[], reasoning: string[]): void {
  if (!isRecord(message)) {
    const text = stringifyValue(message);
    if (text) lines.push(text);
    return;
  }
  const role = typeof message.role === 'string' ? message.role : '';
  const texts: string[] = [];
  if (Array.isArray(message.parts)) {
    for (const part of message.parts) renderPart(part, texts, reasoning);
  } else if (Array.isArray(message.content)) {
    for (const part of message.content) renderPart(part, texts, reasoning);
  } else if (message.content !== undefined && message.content !== null) {
    texts.push(stringifyValue(message.content));
  }
  if (Array.isArray(message.tool_calls)) {
    for (const call of message.tool_calls) texts.push(renderOpenAiToolCall(call));
  }
  if (texts.length === 0) {
    if (role === '' && message.parts === undefined && message.content === undefined) {
      const text = stringifyValue(message);
      if (text) lines.push(text);
    }
    return;
  }
  const body = texts.join('\n');
  lines.push(role ? `${role}: ${body}` : body);
}

function renderPart(part: unknown, texts: string[], reasoning: string[]): void {
  if (typeof part === 'string') {
    texts.push(part);
    return;
  }
  if (!isRecord(part)) return;
  switch (part.type) {
    case 'text':
    case undefined:
      texts.push(stringifyValue(part.content ?? part.text ?? ''));
      return;
    case 'reasoning':
    case 'thinking': {
      const text = stringifyValue(part.content ?? part.text ?? part.thinking ?? '');
      if (text) reasoning.push(text);
      return;
    }
    case 'tool_call':
    case 'tool-call':
      texts.push(`${stringifyValue(part.name ?? part.toolName ?? 'tool')}(${argsText(part.arguments ?? part.args ?? part.input)})`);
      return;
    case 'tool_call_response':
    case 'tool-result':
    case 'tool_result': {
      const name = part.toolName ?? part.id ?? part.toolCallId;
      const result = stringifyValue(part.response ?? part.result ?? part.output ?? '');
      texts.push(name === undefined ? `→ ${result}` : `→ ${stringifyValue(name)}: ${result}`);
      return;
    }
    default:
      texts.push(`[${stringifyValue(part.type)}]`);
  }
}

function renderOpenAiToolCall(call: unknown): string {
  if (!isRecord(call)) return stringifyValue(call);
  const fn = isRecord(call.function) ? call.function : call;
  return `${stringifyValue(fn.name ?? 'tool')}(${argsText(fn.arguments)})`;
}

/** Tool arguments arrive as an object or as a JSON string; show both as compact JSON text. */
function argsText(args: unknown): string {
  if (args === undefined || args === null) return '';
  return stringifyValue(args);
}

/** Renders Vercel AI SDK `ai.response.toolCalls` (JSON array of `{ toolName, args | input }`) as `name(args)` lines. */
export function renderToolCalls(value: unknown): string {
  const parsed = parseMaybeJson(value);
  if (!Array.isArray(parsed)) return stringifyValue(parsed);
  return parsed
    .map((call) =>
      isRecord(call) ? `${stringifyValue(call.toolName ?? call.name ?? 'tool')}(${argsText(call.args ?? call.input ?? call.arguments)})` : stringifyValue(call),
    )
    .join('\n');
}

/** Renders Vercel AI SDK `ai.prompt` (`{ system?, prompt?, messages? }`). */
export function renderVercelPrompt(value: unknown): string {
  const parsed = parseMaybeJson(value);
  if (!isRecord(parsed)) return stringifyValue(parsed);
  const lines: string[] = [];
  if (parsed.system !== undefined && parsed.system !== null) lines.push(`system: ${stringifyValue(parsed.system)}`);
  if (typeof parsed.prompt === 'string') lines.push(`user: ${parsed.prompt}`);
  else if (Array.isArray(parsed.prompt)) lines.push(renderMessages(parsed.prompt).text);
  if (Array.isArray(parsed.messages)) lines.push(renderMessages(parsed.messages).text);
  return lines.length > 0 ? lines.join('\n') : stringifyValue(parsed);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}
