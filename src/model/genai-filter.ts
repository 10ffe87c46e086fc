import type { RawLogRecord } from './log-types.js';
import type { RawMetric } from './metric-types.js';
import { logSessionKey } from './signal-sessions.js';
import type { SpanRecord } from './types.js';

/**
 * Whether a span is an agent step in any dialect Skein reads (what
 * `skein serve --store genai` keeps): it has a step kind, an operation, a
 * model or token usage. Plain HTTP/DB spans of the same app are not.
 */
export function isGenAiRecord(record: SpanRecord): boolean {
  if (record.stepType !== 'other' || record.operationName !== null) return true;
  if (record.requestModel !== null || record.responseModel !== null || record.provider !== null) return true;
  const u = record.usage;
  return u.input !== undefined || u.output !== undefined || u.total !== undefined;
}

/** Name prefixes of GenAI semantic-convention events and metrics and of the coding agents' own. */
export const GENAI_SIGNAL_PREFIXES: readonly string[] = ['gen_ai.', 'claude_code.', 'codex.', 'gemini_cli.'];

function hasGenAiPrefix(name: unknown): boolean {
  return typeof name === 'string' && GENAI_SIGNAL_PREFIXES.some((prefix) => name.startsWith(prefix));
}

/**
 * Whether `--store genai` keeps a log record: a GenAI or coding-agent event
 * (by its `event_name`, or the older `event.name` attribute) or a record
 * carrying a session key. Every record is forwarded either way.
 */
export function isGenAiLog(record: RawLogRecord): boolean {
  return hasGenAiPrefix(record.eventName) || hasGenAiPrefix(record.attributes['event.name']) || logSessionKey(record) !== null;
}

/** Whether `--store genai` keeps a metric: a GenAI or coding-agent metric by its name. */
export function isGenAiMetric(metric: RawMetric): boolean {
  return hasGenAiPrefix(metric.name);
}
