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
