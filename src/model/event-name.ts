/**
 * The name of a log event, whichever way its source spelled it (issue 17):
 * the `event.name` attribute (the OTel event convention, and what Claude
 * Code, Codex and the GenAI instrumentations set), else `LogRecord.event_name`
 * unless it is a source location (Codex fills it with `event <file>:<line>`),
 * else a string body (Claude Code's `claude_code.<name>`).
 */
import type { RawLogRecord } from './log-types.js';

export const ATTR_EVENT_NAME = 'event.name';

/** The event's name, or undefined when it has none. `nameKey`: the attribute read first. */
export function resolveEventName(record: RawLogRecord, nameKey: string = ATTR_EVENT_NAME): string | undefined {
  const attributes = typeof record.attributes === 'object' && record.attributes !== null ? record.attributes : undefined;
  const fromAttribute = attributes?.[nameKey];
  if (typeof fromAttribute === 'string' && fromAttribute.length > 0) return fromAttribute;
  if (typeof record.eventName === 'string' && record.eventName.length > 0 && !/[\s:]/.test(record.eventName)) return record.eventName;
  if (typeof record.body === 'string' && record.body.length > 0) return record.body;
  return undefined;
}
